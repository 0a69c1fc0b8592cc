import { resolve } from 'node:path';

import { developmentSecrets, durationMsSchema } from '@backbone/platform';
import { z } from 'zod';

/** Strips one trailing slash, so paths can be appended with `/v1/...`. */
const baseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((value) => value.replace(/\/$/, ''));

const demoShape = {
  /** Base URL of the api. */
  API_URL: baseUrlSchema.default('http://localhost:3000'),
  /** Key sent as `Authorization: Bearer <key>`; defaults to the local stack's development key. */
  API_KEY: z.string().min(1).default(developmentSecrets.API_KEYS!),
  /** Base URL of the mail catcher's web page, which lists caught messages at `/messages.json`. */
  MAIL_URL: baseUrlSchema.default('http://localhost:1080'),
  /** Maximum wait for one asynchronous result: a job, a cache invalidation or a caught e-mail. */
  DEMO_WAIT_TIMEOUT_MS: durationMsSchema.default(30_000),
};

export type DemoConfig = z.output<z.ZodObject<typeof demoShape>> & {
  /** Absolute path of the photo to upload; when absent the demo generates one. */
  imagePath: string | undefined;
};

/** Raised for invalid variables or arguments; the message lists each one. */
export class DemoConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoConfigError';
  }
}

export const USAGE = 'Usage: npm run demo [-- path/to/photo.jpg]';

/**
 * Reads the demo's settings from `env` and its optional image path from
 * `args` (the command-line arguments after the script), validated once.
 * `npm run` starts scripts in the repository root, so a relative path is
 * resolved against `INIT_CWD`, the directory npm was started in.
 */
export function loadDemoConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): DemoConfig {
  if (args.length > 1) {
    throw new DemoConfigError(`Expected at most one argument, the path of a photo; got ${args.length}.\n${USAGE}`);
  }

  const input = Object.fromEntries(
    Object.keys(demoShape).map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  const result = z.object(demoShape).safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
    throw new DemoConfigError(`Invalid demo configuration:\n${lines.join('\n')}`);
  }
  const imagePath = args[0] === undefined ? undefined : resolve(env.INIT_CWD ?? process.cwd(), args[0]);
  return { ...result.data, imagePath };
}
