import type { QueueName } from '@backbone/contracts';
import type { Logger } from '@backbone/platform';
import { MetricsTime, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import { concurrencyFor, lockSettingsFor, type WorkerConfig } from './config';
import type { JobMetrics } from './job-metrics';
import { type ActiveJob, createJobRunner } from './job-runner';
import type { ProcessorRegistry } from './registry';

export interface WorkerPoolOptions {
  config: WorkerConfig;
  connection: Redis;
  registry: ProcessorRegistry;
  logger: Logger;
  metrics: JobMetrics;
}

/**
 * Part of the shutdown time kept back from active jobs, at most
 * `MAX_RESERVE_MS`: half of it for giving running jobs back to their queue,
 * the rest for closing the workers and the components stopped after them.
 */
export const RESERVE_SHARE = 0.2;
export const MAX_RESERVE_MS = 2_000;

/** Logs at most one BullMQ error per queue in this interval; the rest are counted into the next line. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * One BullMQ worker per served queue (`WORKER_QUEUES`). Workers are created
 * paused and take jobs only after `run()`, once the service is ready.
 */
export class WorkerPool {
  readonly workers = new Map<QueueName, Worker>();
  private readonly active = new Map<string, ActiveJob>();
  private readonly returned = new Set<string>();
  private readonly logger: Logger;
  private running = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.logger = options.logger.child({ module: 'worker-pool' });

    for (const queue of options.config.WORKER_QUEUES) {
      this.workers.set(queue, this.createWorker(queue));
    }
  }

  /** Starts taking jobs on every queue. */
  run(): void {
    this.running = true;
    for (const [queue, worker] of this.workers) {
      worker.run().catch((error: unknown) => {
        this.logger.error('Worker loop stopped with an error', { queue, error });
      });
    }
  }

  /** Tells whether every worker is taking jobs. It is false before `run()` and from the start of `stop()`. */
  isRunning(): boolean {
    return this.running && [...this.workers.values()].every((worker) => worker.isRunning() && !worker.closing);
  }

  /**
   * Stops taking jobs and waits for the active ones until shortly before
   * `deadline`. Jobs still running then go back to their queue's wait list,
   * not to failed, so another worker takes them. Their attempts are not
   * counted as failures.
   */
  async stop(deadline: number): Promise<void> {
    this.running = false;
    const closed = Promise.all([...this.workers.values()].map((worker) => worker.close()));
    closed.catch(() => undefined);

    // Active jobs may run until `graceEnd`. The reserve after it pays for
    // giving back what still runs and for the components stopped after the
    // workers, such as the Redis connection.
    const reserveMs = Math.min(MAX_RESERVE_MS, Math.max(deadline - Date.now(), 0) * RESERVE_SHARE);
    const graceEnd = deadline - reserveMs;
    if ((await settleBy(closed, graceEnd)) === 'done') {
      return;
    }

    const leftovers = [...this.active.entries()];
    this.logger.warn('Shutdown deadline reached with jobs still running; returning them to their queues', {
      jobs: leftovers.length,
    });

    await settleBy(
      Promise.allSettled(
        leftovers.map(async ([key, { job, token, queue }]) => {
          this.returned.add(key);
          await job.moveToWait(token);
          this.options.metrics.returned.inc({ queue });
          this.logger.info('Job returned to its queue', { jobId: job.id, queue, name: job.name });
        }),
      ),
      graceEnd + reserveMs / 2,
    );

    // The abort signal requests that handlers stop. Giving up ends the attempts even for handlers that ignore it.
    for (const worker of this.workers.values()) {
      worker.cancelAllJobs('shutdown deadline');
    }
    for (const [, entry] of leftovers) {
      entry.giveUp();
    }
    await settleBy(closed, deadline - reserveMs / 4);
  }

  private createWorker(queue: QueueName): Worker {
    const { config, connection, registry, metrics } = this.options;
    const locks = lockSettingsFor(config, queue);

    const worker = new Worker(
      queue,
      createJobRunner({
        queue,
        handlers: registry.get(queue) ?? new Map(),
        logger: this.options.logger.child({ module: 'job' }),
        metrics,
        active: this.active,
        returned: this.returned,
      }),
      {
        connection,
        prefix: config.BULLMQ_PREFIX,
        autorun: false,
        concurrency: concurrencyFor(config, queue),
        lockDuration: locks.lockDurationMs,
        stalledInterval: locks.stalledIntervalMs,
        maxStalledCount: locks.maxStalledCount,
        metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
      },
    );

    worker.on('stalled', (jobId) => {
      this.logger.warn('Job stalled and was moved back to wait', { jobId, queue });
    });
    const logError = throttledErrorLog(this.logger, queue);
    worker.on('error', (error) => {
      // A job given back at the shutdown deadline has lost its lock, so
      // BullMQ cannot record the aborted attempt and reports that here.
      if (this.returned.size > 0 && /missing lock/i.test(error.message)) {
        this.logger.debug('Attempt of a returned job not recorded', { queue, reason: error.message });
        return;
      }
      logError(error);
    });
    return worker;
  }
}

function throttledErrorLog(logger: Logger, queue: QueueName): (error: Error) => void {
  let lastLoggedAt = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastLoggedAt < ERROR_LOG_INTERVAL_MS) {
      suppressed += 1;
      return;
    }
    logger.error('Worker error', { queue, error: error.message, suppressed });
    lastLoggedAt = now;
    suppressed = 0;
  };
}

async function settleBy(work: Promise<unknown>, deadline: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(deadline - Date.now(), 0));
  });
  try {
    return await Promise.race([work.then(settled, settled), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function settled(): 'done' {
  return 'done';
}
