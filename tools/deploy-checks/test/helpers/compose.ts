import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import { repositoryRoot } from './services';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
  deploy?: { replicas?: number };
  container_name?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml as Compose reads it: YAML merge keys applied, `${...}` left as written. */
export function readComposeFile(path = join(repositoryRoot, 'docker-compose.yml')): ComposeFile {
  return parse(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile;
}

/**
 * Resolves Compose interpolation in `text` against `variables`: `${NAME}`,
 * `${NAME:-default}` (default when unset or empty), `${NAME-default}`
 * (default when unset) and `$$` for a literal `$`. Throws on `${NAME}` with
 * neither a value nor a default, and on the `?` forms, which these files do
 * not use.
 */
export function interpolate(text: string, variables: Record<string, string | undefined> = {}): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (match, name, operator, fallback) => {
    if (match === '$$') {
      return '$';
    }
    const value = variables[name];
    if (operator === ':-') {
      return value === undefined || value === '' ? fallback : value;
    }
    if (operator === '-') {
      return value === undefined ? fallback : value;
    }
    if (value === undefined) {
      throw new Error(`${name} is referenced without a default and is not set`);
    }
    return value;
  });
}

/** Names of the variables that a value refers to with `${NAME...}`. */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!);
}

/** Returns a service's environment with every interpolation resolved against `variables`. */
export function resolvedEnvironment(
  service: ComposeService,
  variables: Record<string, string | undefined> = {},
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [
      name,
      interpolate(value === null ? '' : String(value), variables),
    ]),
  );
}

/** Seconds in a Compose duration such as `35s`, `1m30s` or `500ms`. */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  let total = 0;
  let rest = duration.trim();
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(h|ms|m|s|us)/.exec(rest);
    if (match === null) {
      throw new Error(`Invalid Compose duration "${duration}"`);
    }
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return total;
}

/** Variable names in a dotenv file such as .env.example, in file order. */
export function dotenvVariableNames(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** `value` with every string resolved by `interpolate`, as Compose resolves the whole file before validating it. */
export function interpolateAll<T>(value: T, variables: Record<string, string | undefined> = {}): T {
  if (typeof value === 'string') {
    return interpolate(value, variables) as T;
  }
  if (Array.isArray(value)) {
    return value.map((item) => interpolateAll(item, variables)) as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, variables)])) as T;
  }
  return value;
}
