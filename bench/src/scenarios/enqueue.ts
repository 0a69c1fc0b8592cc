import { join } from 'node:path';

import { JobNames, QueueNames, queues } from '@backbone/contracts';
import { findFreePort } from '@backbone/redis-harness';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { startNode } from '../processes';
import { throughput } from '../stats';
import { BENCH_API_KEY, startService } from '../system';

const servers = join(__dirname, '..', 'servers');

/** One job as the api and the echo server receive it. */
const JOB_BODY = JSON.stringify({ name: JobNames.activateTournaments, data: {} });

/** Single-job enqueue rates at one level of concurrency. */
export interface SingleEnqueueFigures {
  /** Concurrent keep-alive connections, and concurrent `Queue.add` callers. */
  connections: number;
  /** Requests per second through `POST /v1/queues/{queue}/jobs`. */
  apiPerSecond: number;
  /** Requests per second to the bare Express echo endpoint. */
  bareExpressPerSecond: number;
  /** Requests per second to an Express endpoint that only calls `Queue.add`. */
  minimalEnqueuePerSecond: number;
  /** `Queue.add` calls per second from as many concurrent callers, without HTTP. */
  plainAddPerSecond: number;
}

export interface EnqueueFigures {
  single: SingleEnqueueFigures[];
  /** Jobs per second through the batch endpoint. */
  apiBatchJobsPerSecond: number;
  /** Jobs per second through plain `addBulk` with batches of the same size. */
  plainAddBulkJobsPerSecond: number;
  /** Resident memory of the api before the load and the highest seen during it, in bytes. */
  apiRssIdleBytes: number;
  apiRssLoadedBytes: number;
}

export interface EnqueueOptions {
  redisUrl: string;
  connection: Redis;
  prefix: string;
  durationSeconds: number;
  /** Concurrency levels of the single-job loads. */
  connectionLevels: number[];
  batchConnections: number;
  batchSize: number;
  /** Requests sent to each HTTP server before its measured load, so that it runs compiled code; 0 skips the warm-up. */
  warmupRequests: number;
}

interface LoadOptions {
  connections: number;
  durationSeconds: number;
  warmupRequests: number;
  headers?: Record<string, string>;
}

/** Runs autocannon against `url` and fails on any error, non-2xx response or timeout. */
async function autocannonRun(
  url: string,
  body: string,
  options: { connections: number; headers?: Record<string, string> | undefined } & (
    | { durationSeconds: number }
    | { amount: number }
  ),
): Promise<autocannon.Result> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    ...('amount' in options ? { amount: options.amount } : { duration: options.durationSeconds }),
    headers: { 'content-type': 'application/json', ...options.headers },
    body,
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `load on ${url} had ${result.errors} errors, ${result.non2xx} non-2xx and ${result.timeouts} timeouts`,
    );
  }
  return result;
}

/** Warms the server up, then loads it for the set duration; returns successful requests per second. */
async function load(url: string, body: string, options: LoadOptions): Promise<number> {
  const connections = options.connections;
  if (options.warmupRequests > 0) {
    await autocannonRun(url, body, { connections, amount: options.warmupRequests, headers: options.headers });
  }
  const result = await autocannonRun(url, body, {
    connections,
    durationSeconds: options.durationSeconds,
    headers: options.headers,
  });
  return result.requests.total / result.duration;
}

/**
 * Measures enqueue throughput: the api's single and batch endpoints against
 * a bare Express echo endpoint, an Express endpoint that only calls
 * `Queue.add`, and plain BullMQ, at the same concurrency on the same Redis,
 * with the HTTP servers in child processes.
 */
export async function measureEnqueue(options: EnqueueOptions): Promise<EnqueueFigures> {
  const barePort = await findFreePort();
  const minimalPort = await findFreePort();
  const bare = await startNode(join(servers, 'bare-express.js'), { PORT: String(barePort) }, 'ipc');
  const minimal = await startNode(
    join(servers, 'express-queue-add.js'),
    { PORT: String(minimalPort), REDIS_URL: options.redisUrl, BULLMQ_PREFIX: `${options.prefix}minimal` },
    'ipc',
  );
  const api = await startService('api', options.redisUrl, options.prefix);
  const queue = new Queue(QueueNames.scheduler, {
    connection: options.connection,
    prefix: `${options.prefix}plain`,
    defaultJobOptions: queues[QueueNames.scheduler].defaultJobOptions,
  });
  const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
  const { durationSeconds, warmupRequests } = options;
  const apiUrl = `http://127.0.0.1:${api.port}/v1/queues/${QueueNames.scheduler}/jobs`;

  try {
    const apiRssIdleBytes = api.process.rssBytes();
    let apiRssLoadedBytes = apiRssIdleBytes;
    const sampler = setInterval(() => {
      apiRssLoadedBytes = Math.max(apiRssLoadedBytes, api.process.rssBytes());
    }, 200);

    const single: SingleEnqueueFigures[] = [];
    for (const connections of options.connectionLevels) {
      const loadOptions = { connections, durationSeconds, warmupRequests };
      const apiPerSecond = await load(apiUrl, JOB_BODY, { ...loadOptions, headers: auth });
      const minimalEnqueuePerSecond = await load(`http://127.0.0.1:${minimalPort}/jobs`, JOB_BODY, loadOptions);
      const bareExpressPerSecond = await load(`http://127.0.0.1:${barePort}/echo`, JOB_BODY, loadOptions);
      const plainAddPerSecond = await throughput(() => queue.add(JobNames.activateTournaments, {}), {
        concurrency: connections,
        durationMs: durationSeconds * 1000,
      });
      single.push({ connections, apiPerSecond, bareExpressPerSecond, minimalEnqueuePerSecond, plainAddPerSecond });
    }

    const batch = Array.from({ length: options.batchSize }, () => ({ name: JobNames.activateTournaments, data: {} }));
    const batchBody = JSON.stringify({ jobs: batch });
    const apiBatchRequests = await load(`${apiUrl}/batch`, batchBody, {
      connections: options.batchConnections,
      durationSeconds,
      warmupRequests: Math.ceil(warmupRequests / options.batchSize),
      headers: auth,
    });
    clearInterval(sampler);
    const plainBulkCalls = await throughput(() => queue.addBulk(batch), {
      concurrency: options.batchConnections,
      durationMs: durationSeconds * 1000,
    });

    return {
      single,
      apiBatchJobsPerSecond: apiBatchRequests * options.batchSize,
      plainAddBulkJobsPerSecond: plainBulkCalls * options.batchSize,
      apiRssIdleBytes,
      apiRssLoadedBytes,
    };
  } finally {
    await queue.close();
    await api.process.stop();
    await minimal.stop();
    await bare.stop();
    // Hundreds of thousands of jobs are left behind; the next scenarios should not run on top of them.
    await options.connection.flushdb();
  }
}
