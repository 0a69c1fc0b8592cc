import { type QueueName, queueNames, queues } from '@backbone/contracts';
import { durationMsSchema, type ServiceConfig } from '@backbone/platform';
import { z } from 'zod';

/** Name of the variable that overrides `WORKER_CONCURRENCY` for one queue, such as `WORKER_CONCURRENCY_IMAGE_PROCESSING`. */
export function concurrencyVariable(queue: QueueName): string {
  return `WORKER_CONCURRENCY_${queue.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

const concurrencySchema = z.coerce.number().int().min(1).max(1_000);

/** Comma-separated queue names from the contracts; empty or unset means every queue. */
const workerQueuesSchema = z
  .string()
  .optional()
  .transform((value, ctx): QueueName[] => {
    if (value === undefined) {
      return [...queueNames];
    }
    const names = value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const unknown = names.filter((name) => !(queueNames as string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown queue ${unknown.map((name) => `"${name}"`).join(', ')}; expected names from: ${queueNames.join(', ')}`,
      });
      return z.NEVER;
    }
    return names.length === 0 ? [...queueNames] : [...new Set(names as QueueName[])];
  });

const perQueueConcurrencyShape = Object.fromEntries(
  queueNames.map((queue) => [concurrencyVariable(queue), concurrencySchema.optional()]),
) as Record<string, z.ZodOptional<typeof concurrencySchema>>;

/** Variables of the worker service, on top of the common ones. */
export const workerConfigShape = {
  /** Queues this replica serves. */
  WORKER_QUEUES: workerQueuesSchema,
  /** Jobs one replica runs at the same time per queue, unless `WORKER_CONCURRENCY_<QUEUE>` sets that queue's own. */
  WORKER_CONCURRENCY: concurrencySchema.default(4),
  ...perQueueConcurrencyShape,
  /**
   * Overrides the contracts' lock duration and stalled-check interval for
   * every queue, for tests and for operations that must change them without
   * a release. Every worker replica must then get the same values, because
   * BullMQ throttles the stalled check per queue across workers.
   */
  WORKER_LOCK_DURATION_MS: durationMsSchema.optional(),
  WORKER_STALLED_INTERVAL_MS: durationMsSchema.optional(),
  /** Directory of the media store, shared with the api. */
  MEDIA_DIR: z.string().min(1).default('./.data/media'),
  /** Maximum size of an image the worker decodes, in pixels (width times height); bigger ones fail without retries. */
  IMAGE_MAX_INPUT_PIXELS: z.coerce.number().int().positive().default(50_000_000),
  /** SMTP server, `smtp://[user:password@]host:port` or `smtps://` for implicit TLS. */
  SMTP_URL: z
    .string()
    .refine((value) => /^smtps?:\/\/[^/]+/.test(value), 'must be an smtp:// or smtps:// URL with a host')
    .default('smtp://127.0.0.1:1025'),
  /** Sender address of every e-mail. */
  EMAIL_FROM: z.string().min(3).max(254).default('Game Platform <no-reply@localhost>'),
};

export type WorkerConfig = ServiceConfig<typeof workerConfigShape>;

/** Jobs of `queue` that one replica runs at a time. */
export function concurrencyFor(config: WorkerConfig, queue: QueueName): number {
  const own = (config as unknown as Record<string, number | undefined>)[concurrencyVariable(queue)];
  return own ?? config.WORKER_CONCURRENCY;
}

/** Lock and stall settings of `queue`: the contract's, unless the config overrides them for every queue. */
export function lockSettingsFor(
  config: WorkerConfig,
  queue: QueueName,
): { lockDurationMs: number; stalledIntervalMs: number; maxStalledCount: number } {
  const settings = queues[queue].worker;
  return {
    lockDurationMs: config.WORKER_LOCK_DURATION_MS ?? settings.lockDurationMs,
    stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS ?? settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
  };
}
