import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { commonConfigShape } from '@backbone/platform';
import { type ZodType, z } from 'zod';

/** Root of the repository that the checks read. */
export const repositoryRoot = resolve(__dirname, '..', '..', '..', '..');

/** Matches the compiled entry point in a container command and captures the service name. */
export const SERVICE_ENTRY_PATTERN = /^services\/([a-z0-9-]+)\/dist\/main\.js$/;

/** Services of this checkout: directories under services/ whose package.json has a start script. */
export function listServices(root = repositoryRoot): string[] {
  const dir = join(root, 'services');
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .filter((name) => {
      const manifest = join(dir, name, 'package.json');
      if (!existsSync(manifest)) {
        return false;
      }
      const { scripts } = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> };
      return scripts?.start !== undefined;
    })
    .sort();
}

/** Service started by a container command such as `["node", "services/worker/dist/main.js"]`, if any. */
export function serviceOfCommand(command: readonly string[] | undefined): string | undefined {
  for (const part of command ?? []) {
    const match = SERVICE_ENTRY_PATTERN.exec(part);
    if (match !== null) {
      return match[1];
    }
  }
  return undefined;
}

export function configModulePath(service: string, root = repositoryRoot): string {
  return join(root, 'services', service, 'src', 'config.ts');
}

export function entryPath(service: string, root = repositoryRoot): string {
  return join(root, 'services', service, 'dist', 'main.js');
}

/**
 * Zod shape of everything a service reads: the platform's common variables
 * plus the `*ConfigShape` exports of `services/<name>/src/config.ts`.
 * Returns undefined when the service has no config module yet.
 */
export function loadServiceShape(service: string): Record<string, ZodType> | undefined {
  const path = configModulePath(service);
  if (!existsSync(path)) {
    return undefined;
  }
  const module = require(path) as Record<string, unknown>;
  const shapes = Object.entries(module)
    .filter(([name, value]) => name.endsWith('ConfigShape') && typeof value === 'object' && value !== null)
    .map(([, value]) => value as Record<string, ZodType>);
  if (shapes.length === 0) {
    throw new Error(`${path} exports no *ConfigShape object`);
  }
  return Object.assign({}, commonConfigShape, ...shapes) as Record<string, ZodType>;
}

/**
 * Variables a deployment must set for a service: those without a default
 * (the service fails without them) and those with one (so the deployment
 * states the value instead of relying on the code). Variables whose schema
 * accepts absence and then yields nothing, such as optional overrides, may be
 * left out.
 */
export function variablesToSet(shape: Record<string, ZodType>): string[] {
  return Object.entries(shape)
    .filter(([, schema]) => {
      const result = schema.safeParse(undefined);
      return !result.success || result.data !== undefined;
    })
    .map(([name]) => name)
    .sort();
}

/**
 * Problems of `env` as the configuration of `service`: variables that should
 * be set and are not, and variables whose value the service would reject.
 * An empty string counts as set, as `loadConfig` treats it as unset only for
 * the schema's default to apply.
 */
export function environmentProblems(shape: Record<string, ZodType>, env: Record<string, string>): string[] {
  const problems = variablesToSet(shape)
    .filter((name) => !Object.hasOwn(env, name))
    .map((name) => `${name} is not set`);

  const input = Object.fromEntries(Object.keys(shape).map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const result = z.object(shape).safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push(`${String(issue.path[0])} is invalid: ${issue.message}`);
    }
  }
  return problems;
}
