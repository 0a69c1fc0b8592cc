import { ConfigError, durationMsSchema, portSchema, type ServiceConfig } from '@backbone/platform';
import { z } from 'zod';

const positiveIntSchema = z.coerce.number().int().positive();

/** Shortest API key accepted, so a guessable key cannot be configured by mistake. */
export const MIN_API_KEY_LENGTH = 16;

const apiKeysSchema = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== ''),
  )
  .pipe(
    z
      .array(z.string().min(MIN_API_KEY_LENGTH, `every key must have at least ${MIN_API_KEY_LENGTH} characters`))
      .min(1, 'must list at least one key'),
  );

/** URL path of a mount point: starts with `/`, no trailing `/`, safe characters only. */
const mountPathSchema = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'must be a path such as /admin/queues, without a trailing "/"');

/** Variables of the api service, on top of the common ones. */
export const apiConfigShape = {
  API_PORT: portSchema.default(3000),
  /** Comma-separated keys accepted in `Authorization: Bearer <key>`. */
  API_KEYS: apiKeysSchema,
  API_JSON_BODY_LIMIT_BYTES: positiveIntSchema.default(64 * 1024),
  /** Body limit of batch requests, which carry up to 1,000 jobs. */
  API_BATCH_BODY_LIMIT_BYTES: positiveIntSchema.default(1024 * 1024),
  API_IMAGE_BODY_LIMIT_BYTES: positiveIntSchema.default(10 * 1024 * 1024),
  /** Maximum time a handler may wait on Redis before the request fails with 503. */
  API_HANDLER_TIMEOUT_MS: durationMsSchema.default(5_000),
  /** How long an Idempotency-Key is remembered, whether or not its job still exists. */
  API_IDEMPOTENCY_TTL_SECONDS: positiveIntSchema.default(24 * 3600),
  MEDIA_DIR: z.string().min(1).default('./.data/media'),
  CACHE_TTL_SECONDS: positiveIntSchema.default(60),
  BULL_BOARD_USERNAME: z.string().min(1).optional(),
  BULL_BOARD_PASSWORD: z.string().min(1).optional(),
  /** Path the board is mounted at in this app. */
  BULL_BOARD_BASE_PATH: mountPathSchema.default('/admin/queues'),
  /** Path browsers see when a reverse proxy strips a prefix; defaults to the base path. */
  BULL_BOARD_PUBLIC_PATH: mountPathSchema.optional(),
  /** UI language of the board, such as `en-US` or `ru-RU`. */
  BULL_BOARD_LOCALE: z
    .string()
    .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language tag such as en-US or ru-RU')
    .default('en-US'),
};

export type ApiConfig = ServiceConfig<typeof apiConfigShape>;

/**
 * Checks rules that span several variables. Throws `ConfigError` when only
 * one of the two Bull Board credentials is set, because the board would then
 * be silently left unmounted.
 */
export function checkApiConfig(config: ApiConfig): void {
  const hasUser = config.BULL_BOARD_USERNAME !== undefined;
  const hasPassword = config.BULL_BOARD_PASSWORD !== undefined;
  if (hasUser !== hasPassword) {
    const missing = hasUser ? 'BULL_BOARD_PASSWORD' : 'BULL_BOARD_USERNAME';
    throw new ConfigError(
      `Invalid configuration, 1 variable to fix:\n  ${missing}: required when the other Bull Board credential is set`,
      [missing],
    );
  }
}
