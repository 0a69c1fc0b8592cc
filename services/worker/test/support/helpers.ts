import { Writable } from 'node:stream';

import { createLogger, type Logger, loadConfig } from '@backbone/platform';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { type WorkerConfig, workerConfigShape } from '../../src/config';

/** Directory of the shared test images, outside the repository. */
export const FIXTURE_IMAGES_DIR = `${__dirname}/../../../../../shared/fixtures/images`;

/** Worker configuration from `env` only, with a free ops port and quiet defaults for tests. */
export function workerConfig(env: Record<string, string>): WorkerConfig {
  return loadConfig(workerConfigShape, { env: { OPS_PORT: '0', LOG_LEVEL: 'debug', ...env } });
}

export interface LogRecord {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** Creates a JSON logger whose records the test can read back. */
export function captureLogger(): { logger: Logger; records: LogRecord[]; text: () => string } {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') {
          lines.push(line);
          records.push(JSON.parse(line) as LogRecord);
        }
      }
      callback();
    },
  });
  const logger = createLogger({ service: 'worker', level: 'debug', format: 'json', stream });
  return { logger, records, text: () => lines.join('\n') };
}

/** Polls `check` until it returns a value other than undefined or false; throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  description = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    }
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls job `id` of `queue` until it is completed or failed; returns the job and its state. */
export async function waitForJobEnd(
  queue: Queue,
  id: string,
  timeoutMs = 15_000,
): Promise<{ job: Job; state: 'completed' | 'failed' }> {
  return waitFor(
    async () => {
      const state = await queue.getJobState(id);
      if (state !== 'completed' && state !== 'failed') {
        return undefined;
      }
      // Read the job only once it has ended, so its fields match the state.
      const job = await queue.getJob(id);
      return job === undefined ? undefined : { job, state };
    },
    timeoutMs,
    `job ${id} of ${queue.name} to complete or fail`,
  );
}

/** Collects the messages published on `channel` through a dedicated connection. */
export async function collectEvents(redis: Redis, channel: string): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  redis.on('message', (received: string, message: string) => {
    if (received === channel) {
      events.push(JSON.parse(message) as Record<string, unknown>);
    }
  });
  await redis.subscribe(channel);
  return events;
}

/** Value of the Prometheus sample `name` whose labels include `labels`, or undefined when there is none. */
export function metricValue(body: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of body.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) {
      continue;
    }
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([label, value]) => present.get(label) === value)) {
      return Number(match[3]);
    }
  }
  return undefined;
}
