import { join } from 'node:path';

import { QueueNames, queues } from '@backbone/contracts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import type { JobKind } from '../job-kinds';
import { type BenchProcess, startNode } from '../processes';
import { sleep } from '../stats';

const servers = join(__dirname, '..', 'servers');

export interface DrainOptions {
  redisUrl: string;
  connection: Redis;
  /**
   * `service` runs the worker service's path, `quiet` the same path with
   * `LOG_LEVEL=warn` (no line per completed job), `plain` a bare BullMQ Worker.
   */
  implementation: 'service' | 'quiet' | 'plain';
  kind: JobKind;
  concurrency: number;
  processes: number;
  jobs: number;
}

let runCounter = 0;

/**
 * Starts the worker processes on an empty queue, adds `jobs` jobs in bulk and
 * returns jobs per second from the first add until the queue is empty with
 * nothing active. Each run uses a fresh BullMQ prefix, so runs never see each
 * other's jobs.
 */
export async function drainRate(options: DrainOptions): Promise<number> {
  runCounter += 1;
  const prefix = `bench${runCounter}`;
  const queue = new Queue(QueueNames.scheduler, {
    connection: options.connection,
    prefix,
    defaultJobOptions: queues[QueueNames.scheduler].defaultJobOptions,
  });

  const env = {
    REDIS_URL: options.redisUrl,
    BULLMQ_PREFIX: prefix,
    NODE_ENV: 'production',
    LOG_LEVEL: options.implementation === 'quiet' ? 'warn' : 'info',
    LOG_FORMAT: 'json',
    OPS_PORT: '0',
    WORKER_QUEUES: QueueNames.scheduler,
    WORKER_CONCURRENCY: String(options.concurrency),
    BENCH_JOB_KIND: options.kind,
  };
  const script = join(servers, options.implementation === 'plain' ? 'plain-worker.js' : 'bench-worker.js');
  const workers: BenchProcess[] = [];

  try {
    for (let index = 0; index < options.processes; index += 1) {
      workers.push(await startNode(script, env, 'ipc'));
    }

    const startedAt = performance.now();
    for (let added = 0; added < options.jobs; added += 1_000) {
      const count = Math.min(1_000, options.jobs - added);
      await queue.addBulk(Array.from({ length: count }, () => ({ name: 'activate-tournaments', data: {} })));
    }
    while (true) {
      const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
      if (Object.values(counts).every((count) => count === 0)) {
        break;
      }
      await sleep(5);
    }
    return options.jobs / ((performance.now() - startedAt) / 1000);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}
