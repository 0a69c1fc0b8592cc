import type { QueueName } from '@backbone/contracts';
import { JOB_META_KEY, type Logger } from '@backbone/platform';
import { type Job, UnrecoverableError } from 'bullmq';

import type { JobMetrics } from './job-metrics';
import type { JobHandler } from './registry';

/** A job this process is running, with the lock token needed to give it back. */
export interface ActiveJob {
  job: Job;
  token: string;
  queue: QueueName;
  /** Stops waiting for the job's handler, so its attempt fails with JobReturnedError at once. */
  giveUp: () => void;
}

export interface JobRunnerOptions {
  queue: QueueName;
  handlers: ReadonlyMap<string, JobHandler>;
  logger: Logger;
  metrics: JobMetrics;
  /** Jobs running now, keyed by `<queue>/<jobId>`; the pool reads it at the shutdown deadline. */
  active: Map<string, ActiveJob>;
  /** Keys of jobs given back at the shutdown deadline; their failure is expected and not logged as one. */
  returned: Set<string>;
}

/** Raised into a job's attempt when the worker gives the job back to its queue at the shutdown deadline. */
export class JobReturnedError extends Error {
  constructor() {
    super('Job returned to its queue at the shutdown deadline');
    this.name = 'JobReturnedError';
  }
}

/**
 * Creates the BullMQ processor function of one queue. It picks the job's
 * handler by name, and logs and measures every attempt with the job's ids:
 * start at debug, completion at info with its duration, a failure that will
 * be retried at warn and a final failure at error. The completion line and
 * metrics follow just after BullMQ has sent the completion to Redis.
 */
export function createJobRunner(options: JobRunnerOptions) {
  const { queue, handlers, logger, metrics } = options;

  return async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    const key = `${queue}/${job.id}`;
    const fields = {
      jobId: job.id,
      queue,
      name: job.name,
      attempt: job.attemptsMade + 1,
      requestId: requestIdOf(job),
    };

    const handler = handlers.get(job.name);
    if (handler === undefined) {
      logger.error('Job failed without further retries', { ...fields, reason: 'job not declared for this queue' });
      metrics.failed.inc({ queue, name: job.name, final: 'true' });
      throw new UnrecoverableError(`Job "${job.name}" is not declared for queue "${queue}"`);
    }

    let startedAt = 0;
    const abort = signal ?? new AbortController().signal;

    try {
      // A handler that ignores the abort signal keeps running in the background
      // after `giveUp`, until its own timeouts end it, but the attempt ends at once.
      const result = await new Promise<unknown>((resolve, reject) => {
        options.active.set(key, { job, token: token ?? '', queue, giveUp: () => reject(new JobReturnedError()) });
        logger.debug('Job started', fields);
        startedAt = performance.now();
        handler(job, abort).then(resolve, reject);
      });
      const durationMs = Math.round(performance.now() - startedAt);

      // BullMQ sends the completion to Redis, with the request for the next
      // job, as soon as this returns. Logging and counting after that send
      // overlaps them with the round trip instead of delaying it.
      setImmediate(() => {
        metrics.processed.inc({ queue, name: job.name });
        metrics.duration.observe({ queue, name: job.name, outcome: 'completed' }, durationMs / 1000);
        logger.info('Job completed', { ...fields, durationMs });
      });
      return result;
    } catch (error) {
      const durationMs = Math.round(performance.now() - startedAt);
      if (options.returned.has(key)) {
        logger.warn('Job returned to its queue at the shutdown deadline', { ...fields, durationMs });
        throw new JobReturnedError();
      }

      const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = error instanceof Error ? error.message : String(error);
      metrics.failed.inc({ queue, name: job.name, final: String(final) });
      metrics.duration.observe({ queue, name: job.name, outcome: 'failed' }, durationMs / 1000);

      if (final) {
        logger.error('Job failed without further retries', { ...fields, durationMs, reason });
      } else {
        logger.warn('Job failed and will be retried', { ...fields, durationMs, reason });
      }
      throw error;
    } finally {
      options.active.delete(key);
      options.returned.delete(key);
    }
  };
}

function requestIdOf(job: Job): string | undefined {
  const meta = (job.data as Record<string, unknown> | undefined)?.[JOB_META_KEY];
  const requestId = (meta as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === 'string' ? requestId : undefined;
}
