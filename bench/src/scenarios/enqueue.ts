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

export interface EnqueueFigures {
  /** Requests per second through `POST /v1/queues/{queue}/jobs`. */
  apiJobsPerSecond: number;
  /** Requests per second to the bare Express echo endpoint. */
  bareExpressPerSecond: number;
  /** `Queue.add` calls per second from as many concurrent callers. */
  plainAddPerSecond: number;
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
  connections: number;
  batchSize: number;
}

/** Runs autocannon against `url` and returns successful requests per second; any error or non-2xx fails the run. */
async function load(
  url: string,
  body: string,
  options: { connections: number; durationSeconds: number; headers?: Record<string, string> },
): Promise<number> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSeconds,
    headers: { 'content-type': 'application/json', ...options.headers },
    body,
  });
  if (result.errors > 0 || result.non2xx > 0 || result.timeouts > 0) {
    throw new Error(
      `load on ${url} had ${result.errors} errors, ${result.non2xx} non-2xx and ${result.timeouts} timeouts`,
    );
  }
  return result.requests.total / result.duration;
}

/**
 * Measures enqueue throughput: the api's single and batch endpoints against
 * a bare Express echo endpoint and plain BullMQ, all at the same concurrency
 * on the same Redis, with the HTTP servers in child processes.
 */
export async function measureEnqueue(options: EnqueueOptions): Promise<EnqueueFigures> {
  const barePort = await findFreePort();
  const bare = await startNode(join(servers, 'bare-express.js'), { PORT: String(barePort) }, 'ipc');
  const api = await startService('api', options.redisUrl, options.prefix);
  const queue = new Queue(QueueNames.scheduler, {
    connection: options.connection,
    prefix: `${options.prefix}plain`,
    defaultJobOptions: queues[QueueNames.scheduler].defaultJobOptions,
  });
  const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
  const loadOptions = { connections: options.connections, durationSeconds: options.durationSeconds };

  try {
    const apiRssIdleBytes = api.process.rssBytes();
    let apiRssLoadedBytes = apiRssIdleBytes;
    const sampler = setInterval(() => {
      apiRssLoadedBytes = Math.max(apiRssLoadedBytes, api.process.rssBytes());
    }, 200);

    const apiUrl = `http://127.0.0.1:${api.port}/v1/queues/${QueueNames.scheduler}/jobs`;
    const apiJobsPerSecond = await load(apiUrl, JOB_BODY, { ...loadOptions, headers: auth });
    clearInterval(sampler);

    const bareExpressPerSecond = await load(`http://127.0.0.1:${barePort}/echo`, JOB_BODY, loadOptions);

    const plainAddPerSecond = await throughput(() => queue.add(JobNames.activateTournaments, {}), {
      concurrency: options.connections,
      durationMs: options.durationSeconds * 1000,
    });

    const batch = Array.from({ length: options.batchSize }, () => ({ name: JobNames.activateTournaments, data: {} }));
    const batchBody = JSON.stringify({ jobs: batch });
    const batchConnections = Math.max(1, Math.floor(options.connections / 2));
    const apiBatchRequests = await load(`${apiUrl}/batch`, batchBody, {
      connections: batchConnections,
      durationSeconds: options.durationSeconds,
      headers: auth,
    });
    const plainBulkCalls = await throughput(() => queue.addBulk(batch), {
      concurrency: batchConnections,
      durationMs: options.durationSeconds * 1000,
    });

    return {
      apiJobsPerSecond,
      bareExpressPerSecond,
      plainAddPerSecond,
      apiBatchJobsPerSecond: apiBatchRequests * options.batchSize,
      plainAddBulkJobsPerSecond: plainBulkCalls * options.batchSize,
      apiRssIdleBytes,
      apiRssLoadedBytes,
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await api.process.stop();
    await bare.stop();
  }
}
