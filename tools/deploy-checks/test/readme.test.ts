import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { listServices, loadServiceShape, repositoryRoot } from './helpers/services';

/*
 * The READMEs must stay true: every variable a service reads is documented
 * in both languages, every documented variable exists, every npm script they
 * name exists, and every relative link resolves.
 */

const readmes = ['README.md', 'README.ru.md'] as const;
const read = (path: string): string => readFileSync(join(repositoryRoot, path), 'utf8');

/** Names in backticks that look like environment variables, such as `API_PORT`. */
function documentedVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9<>]+)+)`/g)].map((match) => match[1]!));
}

/** Variables read by the tools' own config modules (`npm start`, `npm run demo`). */
function toolVariables(): string[] {
  const toolsDir = join(repositoryRoot, 'tools');
  return readdirSync(toolsDir)
    .map((tool) => join(toolsDir, tool, 'src', 'config.ts'))
    .filter((path) => existsSync(path))
    .flatMap((path) => [...readFileSync(path, 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!));
}

function serviceVariables(): Map<string, string[]> {
  const byService = new Map<string, string[]>();
  for (const service of listServices()) {
    const shape = loadServiceShape(service);
    if (shape !== undefined) {
      byService.set(service, Object.keys(shape));
    }
  }
  return byService;
}

/** Variables of the test and CI set-up rather than of the system, which the READMEs may name. */
const BUILD_VARIABLES = new Set(['DEPLOY_REPLAY']);

/** The worker's per-queue variables are documented once, as a pattern. */
const isPerQueueConcurrency = (name: string): boolean => /^WORKER_CONCURRENCY_[A-Z]/.test(name);

describe.each(readmes)('%s', (readme) => {
  const text = read(readme);
  const documented = documentedVariables(text);

  it.each([...serviceVariables()])('documents every variable %s reads', (_service, variables) => {
    const missing = variables.filter((name) => !isPerQueueConcurrency(name) && !documented.has(name));

    expect(missing).toEqual([]);
  });

  it('documents only variables that exist', () => {
    const known = new Set([...[...serviceVariables().values()].flat(), ...toolVariables()]);
    const unknown = [...documented].filter(
      (name) =>
        !known.has(name) &&
        !BUILD_VARIABLES.has(name) &&
        name !== 'WORKER_CONCURRENCY_<QUEUE>' &&
        !isPerQueueConcurrency(name),
    );

    expect(unknown).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const viaRun = [...text.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((match) => match[1]!);
    const direct = [...text.matchAll(/npm (start|test)\b/g)].map((match) => match[1]!);

    const missing = [...new Set([...viaRun, ...direct])].filter((name) => !scripts.includes(name));

    expect(missing).toEqual([]);
  });

  it('links only to files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((match) => match[1]!)
      .filter((target) => !/^[a-z]+:/.test(target));
    const broken = links.filter((target) => !existsSync(join(repositoryRoot, dirname(readme), target)));

    expect(broken).toEqual([]);
  });
});

describe('README translations', () => {
  it('document the same variables', () => {
    const english = [...documentedVariables(read('README.md'))].sort();
    const russian = [...documentedVariables(read('README.ru.md'))].sort();

    expect(russian).toEqual(english);
  });

  it('have the same sections', () => {
    const count = (text: string, level: string) =>
      text.split('\n').filter((line) => line.startsWith(`${level} `)).length;

    expect(count(read('README.ru.md'), '##')).toBe(count(read('README.md'), '##'));
    expect(count(read('README.ru.md'), '###')).toBe(count(read('README.md'), '###'));
  });
});
