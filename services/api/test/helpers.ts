import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { channelNames, queueNames } from '@backbone/contracts';
import { createLogger, createMetricsRegistry, loadConfig } from '@backbone/platform';
import type { RedisTestServer } from '@backbone/redis-harness';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import request from 'supertest';

import { type ApiHandle, apiConfigShape, startApi } from '../src';

export const API_KEY = 'test-key-0123456789abcdef';
export const OTHER_API_KEY = 'other-key-0123456789abcdef';
export const BOARD_USER = 'operator';
export const BOARD_PASSWORD = 'board-password-123';
export const AUTH = `Bearer ${API_KEY}`;

export interface TestApi {
  api: ApiHandle;
  http: ReturnType<typeof request>;
  /** JSON log records written so far. */
  logs: Record<string, unknown>[];
  mediaDir: string;
  close(): Promise<void>;
}

/** Starts the api in-process against `server` with test credentials; `env` overrides any variable. */
export async function startTestApi(server: RedisTestServer, env: Record<string, string> = {}): Promise<TestApi> {
  const mediaDir = mkdtempSync(join(tmpdir(), 'api-media-'));
  const config = loadConfig(apiConfigShape, {
    env: {
      REDIS_URL: server.url(),
      API_PORT: '0',
      API_KEYS: `${API_KEY},${OTHER_API_KEY}`,
      MEDIA_DIR: mediaDir,
      BULL_BOARD_USERNAME: BOARD_USER,
      BULL_BOARD_PASSWORD: BOARD_PASSWORD,
      API_HANDLER_TIMEOUT_MS: '3000',
      ...env,
    },
  });

  const logs: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '') {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      }
    }
  });
  const logger = createLogger({ service: 'api', level: 'debug', format: 'json', stream });
  const registry = createMetricsRegistry('api', { defaultMetrics: false });

  let api: ApiHandle;
  try {
    api = await startApi(config, { logger, registry });
  } catch (error) {
    rmSync(mediaDir, { recursive: true, force: true });
    throw error;
  }
  return {
    api,
    http: request(`http://127.0.0.1:${api.port}`),
    logs,
    mediaDir,
    close: async () => {
      await api.stop();
      rmSync(mediaDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every key in the test's own Redis, sorted; equal snapshots before and after
 * prove nothing was written. BullMQ queue objects write their queue's `meta`
 * hash when they connect, which is unrelated to jobs, so it is left out.
 */
export async function keySnapshot(redis: Redis): Promise<string[]> {
  return (await redis.keys('*')).filter((key) => !key.endsWith(':meta')).sort();
}

/** Total jobs in every state of every queue. */
export async function totalJobs(redis: Redis): Promise<number> {
  let total = 0;
  for (const name of queueNames) {
    const queue = new Queue(name, { connection: redis });
    const counts = await queue.getJobCounts();
    total += Object.values(counts).reduce((sum, count) => sum + count, 0);
    await queue.close();
  }
  return total;
}

/** Records every message on every declared channel, through its own connection. */
export async function recordEvents(server: RedisTestServer): Promise<{ channel: string; event: unknown }[]> {
  const received: { channel: string; event: unknown }[] = [];
  const subscriber = server.client();
  subscriber.on('message', (channel: string, message: string) => {
    received.push({ channel, event: JSON.parse(message) });
  });
  await subscriber.subscribe(...channelNames);
  return received;
}

/** Resolves once `check` returns a value other than undefined, polling every 20 ms. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

export const future = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
