import { developmentSecrets, portSchema, redisUrlSchema } from '@backbone/platform';
import dotenv from 'dotenv';
import { z } from 'zod';

/**
 * Credentials that the local stack fills in when they are unset, so the
 * system runs with no configuration at all; they are printed at start.
 */
export const developmentCredentials: Readonly<Record<string, string>> = {
  ...developmentSecrets,
  BULL_BOARD_USERNAME: 'admin',
};

const localStackShape = {
  /** When set, the stack uses this Redis and starts none of its own. */
  REDIS_URL: redisUrlSchema.optional(),
  /** Directory for the private Redis's AOF files, media and caught e-mail; relative to the repository root. */
  LOCAL_DATA_DIR: z.string().min(1).default('.data'),
  LOCAL_REDIS_PORT: portSchema.default(6390),
  MAIL_SMTP_PORT: portSchema.default(1025),
  MAIL_WEB_PORT: portSchema.default(1080),
  API_PORT: portSchema.default(3000),
  REALTIME_PORT: portSchema.default(3001),
  /** First of the consecutive ops ports given to services without their own server. */
  LOCAL_OPS_BASE_PORT: portSchema.default(9101),
};

export type LocalStackConfig = z.output<z.ZodObject<typeof localStackShape>>;

/** Reads the local stack's settings from the environment and `.env`, validated once. */
export function loadLocalStackConfig(): LocalStackConfig {
  dotenv.config({ quiet: true });
  const input = Object.fromEntries(
    Object.keys(localStackShape).map((name) => [name, process.env[name] === '' ? undefined : process.env[name]]),
  );
  const result = z.object(localStackShape).safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new Error(`Invalid local stack configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
