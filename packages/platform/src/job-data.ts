import {
  isJobName,
  isQueueName,
  type JobData,
  type JobName,
  jobSchema,
  type QueueName,
  queues,
} from '@backbone/contracts';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

import { toValidationIssues, ValidationError } from './errors';

/**
 * Key under which the producer stores metadata next to the payload in a job's
 * data. Payload schemas never declare it; `readJobData` takes it out before
 * validating.
 */
export const JOB_META_KEY = '_meta';

export const jobMetaSchema = z.object({
  /** Id of the HTTP request (or other trigger) that created the job. */
  requestId: z.string().max(128).optional(),
});

export type JobMeta = z.output<typeof jobMetaSchema>;

/** Stores `meta` beside `payload` in one data object. */
export function withJobMeta(payload: unknown, meta: JobMeta): Record<string, unknown> {
  const base = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  if (meta.requestId === undefined) {
    return base;
  }
  return { ...base, [JOB_META_KEY]: meta };
}

/**
 * Validates raw job data against job `name` of `queue` and splits off the
 * metadata. Throws `ValidationError` when the payload does not match, which
 * a worker must treat as unrecoverable: no retry can fix the payload.
 */
export function readJobData<Q extends QueueName, J extends JobName<Q>>(
  queue: Q,
  name: J,
  raw: unknown,
): { data: JobData<Q, J>; meta: JobMeta } {
  const record = typeof raw === 'object' && raw !== null ? { ...(raw as Record<string, unknown>) } : raw;
  let meta: JobMeta = {};
  if (typeof record === 'object' && record !== null && JOB_META_KEY in record) {
    const parsedMeta = jobMetaSchema.safeParse((record as Record<string, unknown>)[JOB_META_KEY]);
    meta = parsedMeta.success ? parsedMeta.data : {};
    delete (record as Record<string, unknown>)[JOB_META_KEY];
  }

  const result = jobSchema(queue, name).safeParse(record);
  if (!result.success) {
    throw new ValidationError(
      `Invalid data for job "${name}" of queue "${queues[queue].name}"`,
      toValidationIssues(result.error.issues, ['data']),
      'invalid_job_data',
    );
  }
  return { data: result.data, meta };
}

/**
 * Validates a BullMQ job taken by a worker against its contract. A job whose
 * queue, name or payload does not match can never succeed, so this throws
 * BullMQ's `UnrecoverableError`: the job fails at once, without retries, and
 * its failure reason names every invalid field.
 */
export function readJob<Q extends QueueName, J extends JobName<Q>>(
  queue: Q,
  name: J,
  job: Pick<Job, 'name' | 'data'>,
): { data: JobData<Q, J>; meta: JobMeta } {
  if (!isQueueName(queue) || !isJobName(queue, job.name) || job.name !== name) {
    throw new UnrecoverableError(`Job "${job.name}" is not declared for queue "${queue}"`);
  }
  try {
    return readJobData(queue, name, job.data);
  } catch (error) {
    if (error instanceof ValidationError) {
      const fields = error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new UnrecoverableError(`${error.message}: ${fields}`);
    }
    throw error;
  }
}
