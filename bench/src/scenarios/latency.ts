import {
  CacheNamespaces,
  ChannelNames,
  cacheEntryKey,
  cacheGenerationKey,
  JobNames,
  QueueNames,
} from '@backbone/contracts';
import { EventPublisher } from '@backbone/platform';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

import { type MemoryFigures, watchMemory } from '../memory';
import { percentile, sleep } from '../stats';
import { BENCH_API_KEY, startService } from '../system';

export interface LatencyFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  /** Resident memory of the services taking part, idle and under this load. */
  memory: MemoryFigures[];
}

function summarize(latencies: number[], memory: MemoryFigures[]): LatencyFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    samples: sorted.length,
    memory,
  };
}

/**
 * Sends `count` operations at a steady `ratePerSecond`, each started on its
 * own schedule whether or not earlier ones have finished (an open loop, so a
 * slow response cannot hide the queueing it causes).
 */
async function atSteadyRate(
  count: number,
  ratePerSecond: number,
  send: (index: number) => Promise<void>,
): Promise<void> {
  const intervalMs = 1000 / ratePerSecond;
  const startedAt = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < count; index += 1) {
    const due = startedAt + index * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) {
      await sleep(wait);
    }
    pending.push(send(index));
  }
  await Promise.all(pending);
}

export interface JobLatencyOptions {
  redisUrl: string;
  connection: Redis;
  prefix: string;
  ratePerSecond: number;
  count: number;
}

/**
 * Time from the api's 202 to the job's completion, as the client sees them:
 * the api and the worker service run as child processes, and completion is
 * observed through BullMQ's `completed` queue event.
 */
export async function measureJobLatency(options: JobLatencyOptions): Promise<LatencyFigures> {
  const api = await startService('api', options.redisUrl, options.prefix);
  const worker = await startService('worker', options.redisUrl, options.prefix, {
    WORKER_QUEUES: QueueNames.scheduler,
    WORKER_CONCURRENCY: '10',
  });
  const memory = [watchMemory('api', api.process), watchMemory('worker', worker.process)];
  const eventsConnection = options.connection.duplicate();
  const events = new QueueEvents(QueueNames.scheduler, { connection: eventsConnection, prefix: options.prefix });
  await events.waitUntilReady();

  const acceptedAt = new Map<string, number>();
  const completedAt = new Map<string, number>();
  events.on('completed', ({ jobId }) => {
    completedAt.set(jobId, performance.now());
  });

  const url = `http://127.0.0.1:${api.port}/v1/queues/${QueueNames.scheduler}/jobs`;
  const body = JSON.stringify({ name: JobNames.activateTournaments, data: {} });
  const headers = { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' };

  try {
    await atSteadyRate(options.count, options.ratePerSecond, async () => {
      const response = await fetch(url, { method: 'POST', headers, body });
      const accepted = performance.now();
      if (response.status !== 202) {
        throw new Error(`api responded ${response.status} instead of 202`);
      }
      const { id } = (await response.json()) as { id: string };
      acceptedAt.set(id, accepted);
    });

    const deadline = Date.now() + 10_000;
    while (completedAt.size < acceptedAt.size && Date.now() < deadline) {
      await sleep(20);
    }

    const latencies = [...acceptedAt].map(([id, accepted]) => {
      const completed = completedAt.get(id);
      if (completed === undefined) {
        throw new Error(`job ${id} did not complete within 10 s of the last request`);
      }
      // A completion can be observed before the 202 is read; that counts as zero.
      return Math.max(0, completed - accepted);
    });
    return summarize(
      latencies,
      memory.map((stop) => stop()),
    );
  } finally {
    await events.close();
    eventsConnection.disconnect();
    await worker.process.stop();
    await api.process.stop();
  }
}

export interface InvalidationLatencyOptions {
  redisUrl: string;
  connection: Redis;
  ratePerSecond: number;
  count: number;
}

/**
 * Time from an event's PUBLISH to the deletion of the cache entry it makes
 * stale, with the cache-invalidator as a child process and the events sent
 * through the platform's `EventPublisher`. The deletion is
 * observed through Redis keyspace notifications on the entry's key.
 */
export async function measureInvalidationLatency(options: InvalidationLatencyOptions): Promise<LatencyFigures> {
  const { connection } = options;
  const invalidator = await startService('cache-invalidator', options.redisUrl, 'bench');
  const memory = watchMemory('cache-invalidator', invalidator.process);
  const watcher = connection.duplicate();
  const publisher = connection.duplicate();
  // The system's own publish path: validation, stream append and PUBLISH in one script.
  const events = new EventPublisher(publisher);

  try {
    await connection.config('SET', 'notify-keyspace-events', 'Kg');
    const generation = Number((await connection.get(cacheGenerationKey(CacheNamespaces.maps))) ?? 0);
    const keyOf = (index: number) => cacheEntryKey(CacheNamespaces.maps, generation, `bench-map-${index}`);

    const publishedAt = new Map<string, number>();
    const latencies: number[] = [];
    const prefix = '__keyspace@0__:';
    watcher.on('pmessage', (_pattern: string, channel: string, event: string) => {
      const started = publishedAt.get(channel.slice(prefix.length));
      if (event === 'del' && started !== undefined) {
        latencies.push(performance.now() - started);
      }
    });
    await watcher.psubscribe(`${prefix}cache:${CacheNamespaces.maps}:*`);

    const pipeline = connection.pipeline();
    for (let index = 0; index < options.count; index += 1) {
      pipeline.set(keyOf(index), '{}', 'EX', 600);
    }
    await pipeline.exec();

    await atSteadyRate(options.count, options.ratePerSecond, async (index) => {
      const event = { mapId: `bench-map-${index}`, changes: ['image' as const], timestamp: new Date().toISOString() };
      publishedAt.set(keyOf(index), performance.now());
      await events.publish(ChannelNames.mapUpdated, event);
    });

    const deadline = Date.now() + 10_000;
    while (latencies.length < options.count && Date.now() < deadline) {
      await sleep(20);
    }
    if (latencies.length < options.count) {
      throw new Error(`only ${latencies.length} of ${options.count} entries were deleted`);
    }
    return summarize(latencies, [memory()]);
  } finally {
    await connection.config('SET', 'notify-keyspace-events', '');
    watcher.disconnect();
    publisher.disconnect();
    await invalidator.process.stop();
  }
}
