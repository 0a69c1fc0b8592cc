import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { validate } from 'dockerfile-utils';

import { isIgnored, readDockerfile, readDockerignore } from './helpers/dockerfile';
import { repositoryRoot } from './helpers/services';

const stages = readDockerfile();
const finalStage = stages.at(-1)!;
const buildStages = stages.slice(0, -1);
const rules = readDockerignore();

function instructionsOf(keyword: string, stageList = stages): string[] {
  return stageList.flatMap((stage) =>
    stage.instructions
      .filter((instruction) => instruction.keyword === keyword)
      .map((instruction) => instruction.content),
  );
}

describe('Dockerfile', () => {
  test('passes the dockerfile-utils linter', () => {
    const diagnostics = validate(readFileSync(join(repositoryRoot, 'Dockerfile'), 'utf8')).map(
      (diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`,
    );

    expect(diagnostics).toEqual([]);
  });

  test('builds in several stages on Node LTS', () => {
    expect(stages.length).toBeGreaterThan(1);
    for (const stage of stages) {
      expect(stage.image).toBe('node:24-bookworm-slim');
    }
  });

  test('installs from the lock file', () => {
    const runs = instructionsOf('RUN', buildStages);

    expect(runs).toContain('npm ci --no-audit --no-fund');
    expect(runs.indexOf('npm ci --no-audit --no-fund')).toBeLessThan(runs.indexOf('npm run build'));
    expect(runs.at(-1)).toBe('npm prune --omit=dev --no-audit --no-fund');
  });

  test('final stage runs as non-root', () => {
    const users = instructionsOf('USER', [finalStage]);

    expect(users.at(-1)).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/);
  });

  test('tini is PID 1', () => {
    expect(instructionsOf('ENTRYPOINT', [finalStage])).toEqual(['["/usr/bin/tini", "--"]']);
    expect(instructionsOf('RUN', [finalStage]).join('\n')).toMatch(/apt-get install -y --no-install-recommends tini/);
  });

  test('final stage has a health check', () => {
    expect(instructionsOf('HEALTHCHECK', [finalStage])).toEqual(['CMD ["node", "docker/healthcheck.js"]']);
  });

  test('default command starts a service', () => {
    expect(instructionsOf('CMD', [finalStage]).at(-1)).toMatch(/"services\/[a-z-]+\/dist\/main\.js"/);
  });

  test('final stage builds nothing', () => {
    for (const run of instructionsOf('RUN', [finalStage])) {
      expect(run).not.toMatch(/\b(npm|npx|node|tsc)\b/);
    }
  });
});

describe('.dockerignore', () => {
  test('keeps sources, manifests and the lock file', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.base.json',
      'packages/platform/src/index.ts',
      'packages/platform/package.json',
      'docker/healthcheck.js',
      '.env.example',
    ]) {
      expect({ path, ignored: isIgnored(rules, path) }).toEqual({ path, ignored: false });
    }
  });

  test('drops build output with its build info', () => {
    // tsc -b skips a project whose .tsbuildinfo survived without its output.
    for (const path of ['packages/platform/dist/index.js', 'packages/platform/dist/.tsbuildinfo', 'x.tsbuildinfo']) {
      expect({ path, ignored: isIgnored(rules, path) }).toEqual({ path, ignored: true });
    }
  });

  test('drops secrets and local state', () => {
    for (const path of [
      '.env',
      'services/api/.env',
      '.env.local',
      '.git/config',
      '.data/redis/appendonly.aof',
      'node_modules/jest/package.json',
      'packages/platform/node_modules/x/index.js',
      'k8s/overlays/prod/secrets/redis.env',
    ]) {
      expect({ path, ignored: isIgnored(rules, path) }).toEqual({ path, ignored: true });
    }
  });
});

describe('docker/healthcheck.js', () => {
  const { healthPort } = require(join(repositoryRoot, 'docker', 'healthcheck.js')) as {
    healthPort: (commandLine: string, env: Record<string, string | undefined>) => number;
  };

  test('api answers on API_PORT', () => {
    expect(healthPort('/usr/bin/tini -- node services/api/dist/main.js', { API_PORT: '3100', OPS_PORT: '9200' })).toBe(
      3100,
    );
  });

  test('realtime answers on REALTIME_PORT', () => {
    expect(healthPort('node services/realtime/dist/main.js', { REALTIME_PORT: '3101', OPS_PORT: '9200' })).toBe(3101);
  });

  test('other services answer on OPS_PORT', () => {
    expect(
      healthPort('/usr/bin/tini -- node services/worker/dist/main.js', { API_PORT: '3100', OPS_PORT: '9200' }),
    ).toBe(9200);
  });

  test('ports fall back to defaults', () => {
    expect(healthPort('node services/api/dist/main.js', {})).toBe(3000);
    expect(healthPort('node services/scheduler/dist/main.js', { OPS_PORT: '' })).toBe(9100);
  });
});
