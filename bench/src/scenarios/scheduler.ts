import { QueueNames, ScheduleIds } from '@backbone/contracts';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

import { type MemoryFigures, watchMemory } from '../memory';
import { percentile, sleep } from '../stats';
import { startService } from '../system';

export interface SchedulerFigures {
  /** Delay from each run's due time to the moment a worker started it. */
  p50Ms: number;
  maxMs: number;
  runs: number;
  memory: MemoryFigures[];
}

export interface SchedulerOptions {
  redisUrl: string;
  connection: Redis;
  prefix: string;
  runs: number;
}

/** Job ids of job scheduler runs are `repeat:<scheduler id>:<due time in epoch ms>` in BullMQ 6. */
function dueTimeOf(jobId: string): number {
  return Number(jobId.slice(jobId.lastIndexOf(':') + 1));
}

/**
 * Start delay of a schedule firing every second: the scheduler and worker
 * services run as child processes, the schedule is overridden to `* * * * * *`,
 * and each run's delay is the job's `processedOn` minus its due time.
 */
export async function measureSchedulerDelay(options: SchedulerOptions): Promise<SchedulerFigures> {
  const scheduler = await startService('scheduler', options.redisUrl, options.prefix, {
    SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { pattern: '* * * * * *' } }),
  });
  const worker = await startService('worker', options.redisUrl, options.prefix, {
    WORKER_QUEUES: QueueNames.scheduler,
  });
  const memory = [watchMemory('scheduler', scheduler.process), watchMemory('worker', worker.process)];
  const eventsConnection = options.connection.duplicate();
  const events = new QueueEvents(QueueNames.scheduler, { connection: eventsConnection, prefix: options.prefix });
  const queue = new Queue(QueueNames.scheduler, { connection: options.connection, prefix: options.prefix });
  const delays: number[] = [];

  try {
    await events.waitUntilReady();
    events.on('completed', ({ jobId }) => {
      void queue.getJob(jobId).then((job) => {
        if (job?.processedOn !== undefined && jobId.startsWith('repeat:')) {
          delays.push(Math.max(0, job.processedOn - dueTimeOf(jobId)));
        }
      });
    });

    const deadline = Date.now() + (options.runs + 5) * 1000;
    while (delays.length < options.runs && Date.now() < deadline) {
      await sleep(100);
    }
    if (delays.length < options.runs) {
      throw new Error(`only ${delays.length} of ${options.runs} scheduled runs completed in time`);
    }

    const sorted = delays.slice(0, options.runs).sort((a, b) => a - b);
    return {
      p50Ms: percentile(sorted, 50),
      maxMs: sorted[sorted.length - 1]!,
      runs: sorted.length,
      memory: memory.map((stop) => stop()),
    };
  } finally {
    await events.close();
    eventsConnection.disconnect();
    await queue.close();
    await worker.process.stop();
    await scheduler.process.stop();
  }
}
