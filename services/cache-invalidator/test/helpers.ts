import { PassThrough } from 'node:stream';

import { type CacheEntryRef, cacheEntryKey, cacheGenerationKey } from '@backbone/contracts';
import { CacheAside, createLogger, type Logger, loadConfig, type Registry } from '@backbone/platform';
import type { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { type CacheInvalidatorConfig, cacheInvalidatorConfigShape } from '../src/config';

/** Configuration for an in-process invalidator against `server`, with a free ops port. */
export function testConfig(server: RedisTestServer, env: Record<string, string> = {}): CacheInvalidatorConfig {
  return loadConfig(cacheInvalidatorConfigShape, {
    env: {
      REDIS_URL: server.url(),
      OPS_PORT: '0',
      SHUTDOWN_TIMEOUT_MS: '5000',
      CACHE_INVALIDATOR_RETRY_DELAY_MS: '50',
      ...env,
    },
  });
}

export interface LogRecord {
  level: string;
  message: string;
  [field: string]: unknown;
}

/** Creates a JSON logger whose records the test can read back. */
export function captureLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '') {
        records.push(JSON.parse(line) as LogRecord);
      }
    }
  });
  return { logger: createLogger({ service: 'cache-invalidator', level: 'debug', format: 'json', stream }), records };
}

/** Resolves with the first value of `take` that is neither undefined nor false, polling every 10 ms. */
export async function eventually<T>(
  take: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await take();
    if (value !== undefined && value !== false) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** One sample of a metric; histograms name each sample (`_bucket`, `_sum`, `_count`). */
interface Sample {
  labels: Partial<Record<string, string | number>>;
  value: number;
  metricName?: string;
}

/** Value of the sample of `name` whose labels include `labels` and whose sample name is accepted; 0 when absent. */
async function sampleValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
  acceptsSample: (metricName: string | undefined) => boolean,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) {
    return 0;
  }
  const values = (await metric.get()).values as Sample[];
  const match = values.find(
    (value) =>
      acceptsSample(value.metricName) &&
      Object.entries(labels).every(([label, expected]) => String(value.labels[label]) === expected),
  );
  return match?.value ?? 0;
}

/** Current value of one series of a counter or gauge, or the count of a histogram; 0 when the series does not exist yet. */
export function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(registry, name, labels, (sample) => sample === undefined || sample === `${name}_count`);
}

/** Sum of the observations of one histogram series; 0 when the series does not exist yet. */
export function histogramSum(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(registry, name, labels, (sample) => sample === `${name}_sum`);
}

/** Sum of a counter over all its series. */
export async function metricTotal(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) {
    return 0;
  }
  const { values } = await metric.get();
  return values.reduce((sum, value) => sum + value.value, 0);
}

/** Reads `ref` through the cache the way the api does, with a loader that returns `loaded`. */
export function readThrough<T>(cache: CacheAside, ref: CacheEntryRef, loaded: T) {
  return cache.get(ref, async () => loaded);
}

/** Checks whether `ref` has an entry under its namespace's current generation. */
export async function isCached(redis: Redis, ref: CacheEntryRef): Promise<boolean> {
  const generation = (await redis.get(cacheGenerationKey(ref.namespace))) ?? '0';
  return (await redis.exists(cacheEntryKey(ref.namespace, Number(generation), ref.id))) === 1;
}

/** Creates a CacheAside on `redis` with a TTL such as the api might use. */
export function apiCache(redis: Redis): CacheAside {
  return new CacheAside(redis, { ttlSeconds: 300 });
}
