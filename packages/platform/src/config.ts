import dotenv from 'dotenv';
import { z } from 'zod';

import { redisUrlSchema } from './redis';

/** TCP port; 0 lets the operating system pick a free one. */
export const portSchema = z.coerce.number().int().min(0).max(65_535);

/** Whole number of milliseconds greater than zero. */
export const durationMsSchema = z.coerce.number().int().positive();

/** Variables every service reads. */
export const commonConfigShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /** `json` for log collectors, `pretty` for a terminal; by default `json` in production only. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
  /** Prefix of every BullMQ key. Redis Cluster needs a hash tag here, such as `{bull}`. */
  BULLMQ_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]{1,32}$/, 'must be 1-32 letters, digits, "_", "-", "{" or "}"')
    .default('bull'),
  OPS_PORT: portSchema.default(9100),
  SHUTDOWN_TIMEOUT_MS: durationMsSchema.default(25_000),
  /**
   * Approximate number of recent events kept per channel in its Redis stream
   * for replay. Redis trims in whole macro nodes, so a stream may hold
   * somewhat more.
   */
  EVENTS_STREAM_MAX_LENGTH: z.coerce.number().int().positive().default(10_000),
};

export type CommonConfig = z.output<z.ZodObject<typeof commonConfigShape>>;

/** Configuration of a service: the common variables plus the service's own. */
export type ServiceConfig<Shape extends z.ZodRawShape> = CommonConfig & z.output<z.ZodObject<Shape>>;

/**
 * Development values of secrets. The local stack and docker-compose.yml
 * fill them in when unset, so the system runs with no configuration. With
 * `NODE_ENV=production`, `loadConfig` rejects any variable that still has
 * one of them.
 */
export const developmentSecrets: Readonly<Record<string, string>> = {
  API_KEYS: 'dev-api-key-0123456789',
  BULL_BOARD_PASSWORD: 'dev-board-password',
  REALTIME_TOKENS: 'dev-realtime-token',
};

/** Raised when the environment does not satisfy the schema; lists every offending variable. */
export class ConfigError extends Error {
  readonly variables: string[];

  constructor(message: string, variables: string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

export interface LoadConfigOptions {
  /** Variables to read instead of `process.env`; `.env` is then not read. */
  env?: Record<string, string | undefined>;
  /** Path of the dotenv file read into `process.env` first; defaults to `.env` in the working directory. */
  dotenvPath?: string;
}

/**
 * Reads and validates the configuration once. A `.env` file fills in what the
 * environment lacks. On failure the error names every invalid variable and
 * what it expects, never the value it has, because some values are secrets.
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  serviceShape: Shape,
  options: LoadConfigOptions = {},
): ServiceConfig<Shape> {
  let env = options.env;
  if (env === undefined) {
    dotenv.config({ quiet: true, ...(options.dotenvPath === undefined ? {} : { path: options.dotenvPath }) });
    env = process.env;
  }

  const schema = z.object({ ...commonConfigShape, ...serviceShape });
  const input = emptyToUndefined(env, Object.keys(schema.shape));
  const result = schema.safeParse(input);
  const byVariable = new Map<string, string[]>();

  if (result.success) {
    if ((result.data as CommonConfig).NODE_ENV === 'production') {
      for (const [variable, value] of Object.entries(developmentSecrets)) {
        if (input[variable] !== undefined && input[variable] === value) {
          byVariable.set(variable, ['still has its development default; set a real secret in production']);
        }
      }
    }
    if (byVariable.size === 0) {
      return result.data as ServiceConfig<Shape>;
    }
    throw configError(byVariable);
  }

  for (const issue of result.error.issues) {
    const variable = String(issue.path[0] ?? '(root)');
    const reasons = byVariable.get(variable) ?? [];
    reasons.push(input[variable] === undefined ? 'required but not set' : issue.message);
    byVariable.set(variable, reasons);
  }

  throw configError(byVariable);
}

function configError(byVariable: Map<string, string[]>): ConfigError {
  const lines = [...byVariable].map(([variable, reasons]) => `  ${variable}: ${reasons.join('; ')}`);
  const count = byVariable.size;
  return new ConfigError(
    `Invalid configuration, ${count} variable${count === 1 ? '' : 's'} to fix:\n${lines.join('\n')}`,
    [...byVariable.keys()],
  );
}

/** Picks the schema's variables from `env`, treating an empty string as unset, as shells and compose files often do. */
function emptyToUndefined(
  env: Record<string, string | undefined>,
  names: string[],
): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = env[name];
    picked[name] = value === '' ? undefined : value;
  }
  return picked;
}
