import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';

import { DockerfileParser, type Instruction } from 'dockerfile-ast';

import { repositoryRoot } from './services';

export interface DockerInstruction {
  keyword: string;
  /** Arguments as written, with line continuations joined. */
  content: string;
  /** Arguments split the way Docker splits them; JSON forms keep their brackets. */
  args: string[];
  /** Flags such as `--from=build`, by name. */
  flags: Record<string, string>;
}

export interface DockerStage {
  name: string;
  image: string;
  instructions: DockerInstruction[];
}

function toInstruction(instruction: Instruction): DockerInstruction {
  const withFlags = instruction as Instruction & {
    getFlags?: () => { getName(): string; getValue(): string | null }[];
  };
  return {
    keyword: instruction.getKeyword(),
    content: instruction.getArgumentsContent() ?? '',
    args: instruction.getArguments().map((argument) => argument.getValue()),
    flags: Object.fromEntries((withFlags.getFlags?.() ?? []).map((flag) => [flag.getName(), flag.getValue() ?? ''])),
  };
}

/** Stages of a Dockerfile, with global `ARG` defaults substituted into each `FROM`. */
export function readDockerfile(path = join(repositoryRoot, 'Dockerfile')): DockerStage[] {
  const instructions = DockerfileParser.parse(readFileSync(path, 'utf8')).getInstructions().map(toInstruction);
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];

  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image = '', , name] = instruction.args;
      const resolved = image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, variable) => globalArgs[variable] ?? '');
      stages.push({ name: name ?? String(stages.length), image: resolved, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (instruction.keyword === 'ARG') {
        const [name = '', value = ''] = instruction.content.split('=');
        globalArgs[name.trim()] = value.trim();
      }
      continue;
    }
    stage.instructions.push(instruction);
  }
  return stages;
}

interface IgnoreRule {
  negated: boolean;
  pattern: RegExp;
}

/** Converts one .dockerignore pattern (Go filepath.Match syntax plus `**`) to a regular expression. */
function patternToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const character = pattern[index]!;
    if (pattern.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (pattern.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (character === '*') {
      source += '[^/]*';
    } else if (character === '?') {
      source += '[^/]';
    } else {
      source += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

/** Rules of a .dockerignore file in order; later rules win, as in Docker. */
export function readDockerignore(path = join(repositoryRoot, '.dockerignore')): IgnoreRule[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const cleaned = posix.normalize(negated ? line.slice(1) : line).replace(/^\/+/, '');
      return { negated, pattern: patternToRegExp(cleaned) };
    });
}

/**
 * Returns whether Docker leaves `relativePath` (slash-separated, from the context
 * root) out of the build context: a rule that matches the path or one of its
 * parent directories excludes it, and a later negated rule brings it back.
 */
export function isIgnored(rules: IgnoreRule[], relativePath: string): boolean {
  const parts = relativePath.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) {
      ignored = !rule.negated;
    }
  }
  return ignored;
}

/**
 * Copies the build context that Docker would send: every file under `root`
 * that .dockerignore does not exclude.
 */
export function copyBuildContext(
  root: string,
  target: string,
  rules = readDockerignore(join(root, '.dockerignore')),
): void {
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (isIgnored(rules, path)) {
        // NOTE: a negated rule cannot bring back a file below an ignored
        // directory here; this .dockerignore has none.
        continue;
      }
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.isFile()) {
        mkdirSync(join(target, relative), { recursive: true });
        cpSync(join(root, path), join(target, path));
      }
    }
  };
  mkdirSync(target, { recursive: true });
  walk('');
}

export interface ReplayResult {
  /** Directory that contains the final stage's file system. */
  finalRoot: string;
  /** The final stage's working directory inside `finalRoot`. */
  appDir: string;
  /** RUN steps of the final stage, which install system packages and are not replayed. */
  skippedRuns: string[];
  /** Commands that were run, in order, with the stage they belong to. */
  ranCommands: string[];
}

/**
 * Replays a Dockerfile without a container engine. Every stage gets its own
 * directory as its root file system. WORKDIR, COPY (from the context or from
 * an earlier stage) and ENV are applied, and RUN steps of every stage but the
 * last run with `sh -c` in the working directory. The
 * last stage's RUN steps set up the operating system (packages, users), so
 * they are returned instead of run. The caller checks they start no npm or
 * node step. The host's Node runs the steps, not the image's.
 */
export function replayDockerfile(stages: DockerStage[], contextRoot: string, workDir: string): ReplayResult {
  const contextCopy = join(workDir, 'context');
  copyBuildContext(contextRoot, contextCopy);

  const stageRoots = new Map<string, string>();
  const skippedRuns: string[] = [];
  const ranCommands: string[] = [];
  let finalRoot = '';
  let appDir = '';

  stages.forEach((stage, index) => {
    const isFinal = index === stages.length - 1;
    const stageRoot = join(workDir, `stage-${index}-${stage.name}`);
    mkdirSync(stageRoot, { recursive: true });
    stageRoots.set(stage.name, stageRoot);
    let workdir = '/';
    const env: Record<string, string> = {};
    const inStage = (containerPath: string): string =>
      join(stageRoot, isAbsolute(containerPath) ? containerPath : posix.join(workdir, containerPath));

    for (const instruction of stage.instructions) {
      switch (instruction.keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, instruction.args[0] ?? '/');
          mkdirSync(inStage(workdir), { recursive: true });
          break;
        case 'ENV':
          for (const assignment of instruction.args) {
            const [name = '', ...value] = assignment.split('=');
            env[name] = value.join('=');
          }
          break;
        case 'COPY': {
          const sources = instruction.args.slice(0, -1);
          const destination = inStage(instruction.args.at(-1) ?? '.');
          const fromStage = instruction.flags.from;
          for (const source of sources) {
            const from =
              fromStage === undefined
                ? join(contextCopy, source)
                : join(stageRoots.get(fromStage) ?? fromStage, source);
            if (!existsSync(from)) {
              throw new Error(`COPY source ${source} does not exist in ${fromStage ?? 'the build context'}`);
            }
            const target = statSync(from).isDirectory() ? destination : join(destination, posix.basename(source));
            mkdirSync(destination, { recursive: true });
            cpSync(from, target, { recursive: true, force: true });
          }
          break;
        }
        case 'RUN':
          if (isFinal) {
            skippedRuns.push(instruction.content);
          } else {
            ranCommands.push(`${stage.name}: ${instruction.content}`);
            execFileSync('sh', ['-c', instruction.content], {
              cwd: inStage(workdir),
              env: { ...buildEnvironment(), ...env },
              stdio: ['ignore', 'pipe', 'pipe'],
              maxBuffer: 64 * 1024 * 1024,
            });
          }
          break;
        default:
          break;
      }
    }
    if (isFinal) {
      finalRoot = stageRoot;
      appDir = inStage(workdir);
    }
  });
  return { finalRoot, appDir, skippedRuns, ranCommands };
}

/**
 * Environment of a replayed RUN step: this process's, without what Jest and
 * npm add (NODE_ENV=test, npm_* settings of the outer `npm test`), which a
 * Docker build would not have.
 */
function buildEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && entry[0] !== 'NODE_ENV' && entry[0] !== 'INIT_CWD' && !/^npm_/i.test(entry[0]),
    ),
  );
}
