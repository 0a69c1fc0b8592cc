import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { QueueNames } from '@backbone/contracts';
import { createLogger, createMetricsRegistry, type Logger, loadConfig, type Registry } from '@backbone/platform';
import type { Redis } from 'ioredis';

import { type SchedulerConfig, schedulerConfigShape } from '../src/config';

/** Creates a BullMQ prefix per test, so tests sharing one Redis never see each other's keys. */
export function uniquePrefix(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

/** Validated scheduler configuration for a test Redis; `env` adds or replaces variables. */
export function schedulerConfig(redisUrl: string, env: Record<string, string> = {}): SchedulerConfig {
  return loadConfig(schedulerConfigShape, {
    env: {
      NODE_ENV: 'test',
      REDIS_URL: redisUrl,
      BULLMQ_PREFIX: uniquePrefix(),
      OPS_PORT: '0',
      SCHEDULER_RECONCILE_INTERVAL_MS: '3600000',
      ...env,
    },
  });
}

/** Creates a logger whose JSON lines the test can read back. */
export function capturingLogger(): { logger: Logger; entries: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const logger = createLogger({ service: 'scheduler', level: 'debug', format: 'json', stream });
  return { logger, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

export function quietDeps(): { logger: Logger; registry: Registry } {
  return { logger: capturingLogger().logger, registry: createMetricsRegistry('scheduler', { defaultMetrics: false }) };
}

/** Job scheduler entries and not-yet-started runs of the `scheduler` queue, read straight from Redis. */
export async function countSchedulerKeys(
  redis: Redis,
  prefix: string,
): Promise<{ schedulers: number; delayed: number; waiting: number; pending: number }> {
  const base = `${prefix}:${QueueNames.scheduler}`;
  const [schedulers, delayed, waiting, prioritized] = await Promise.all([
    redis.zcard(`${base}:repeat`),
    redis.zcard(`${base}:delayed`),
    redis.llen(`${base}:wait`),
    redis.zcard(`${base}:prioritized`),
  ]);
  return { schedulers, delayed, waiting, pending: delayed + waiting + prioritized };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) {
      return true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    await sleep(50);
  }
}
