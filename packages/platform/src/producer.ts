import { isJobName, type JobInput, type JobName, jobSchema, type QueueName, queues } from '@backbone/contracts';
import { type Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

import { toValidationIssues, ValidationError, type ValidationIssue } from './errors';
import { type JobMeta, withJobMeta } from './job-data';
import { counter, type Registry } from './metrics';

/** BullMQ's highest priority value (2^21); lower numbers run first, 0 means none. */
export const MAX_JOB_PRIORITY = 2_097_152;

/**
 * Options a producer may set per job. BullMQ rejects custom ids that
 * contain `:` and treats integer-looking ids as its own counters, so both
 * are rejected here before they reach Redis.
 */
export const enqueueOptionsSchema = z.strictObject({
  jobId: z
    .string()
    .min(1)
    .max(128)
    .refine((id) => !id.includes(':'), 'must not contain ":"')
    .refine((id) => !/^\d+$/.test(id), 'must not be a whole number')
    .optional(),
  delayMs: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600 * 1000)
    .optional(),
  priority: z.number().int().min(0).max(MAX_JOB_PRIORITY).optional(),
});

export type EnqueueOptions = z.input<typeof enqueueOptionsSchema> & JobMeta;

/** A job to add in a batch; checked at run time because batches come from clients. */
export interface BulkJobInput {
  name: string;
  data: unknown;
  options?: EnqueueOptions;
}

export interface JobProducerOptions {
  /** BullMQ key prefix; every producer and worker of a queue must use the same. */
  prefix: string;
  /** Registry for `jobs_added_total`; omitted, nothing is counted. */
  metrics?: Registry;
}

/**
 * Adds jobs to the queues declared in the contracts. Every payload is
 * validated against its job's schema before anything is sent, so an invalid
 * job never reaches Redis.
 */
export class JobProducer {
  private readonly queueInstances = new Map<QueueName, Queue>();
  private readonly jobsAdded;

  constructor(
    private readonly connection: Redis,
    private readonly options: JobProducerOptions,
  ) {
    this.jobsAdded =
      options.metrics === undefined
        ? undefined
        : counter(options.metrics, {
            name: 'jobs_added_total',
            help: 'Jobs added to a queue by this process.',
            labelNames: ['queue'] as const,
          });
  }

  /** Adds one job whose queue, name and payload type are checked at compile time. */
  async enqueue<Q extends QueueName, J extends JobName<Q>>(
    queue: Q,
    name: J,
    data: JobInput<Q, J>,
    options: EnqueueOptions = {},
  ): Promise<Job> {
    return this.add(queue, name, data, options);
  }

  /**
   * Adds one job whose name and payload come from outside, such as an HTTP
   * body. Throws `ValidationError` naming every invalid field.
   */
  async add(queue: QueueName, name: string, data: unknown, options: EnqueueOptions = {}): Promise<Job> {
    const [prepared] = this.prepare(queue, [{ name, data, options }], []);
    const job = await this.queue(queue).add(prepared!.name, prepared!.data, prepared!.opts);
    this.jobsAdded?.inc({ queue });
    return job;
  }

  /**
   * Validates one job exactly as `add` does, without sending anything. Lets
   * a caller reject bad input before it writes related state, such as an
   * idempotency record. Throws `ValidationError` naming every invalid field.
   */
  validate(queue: QueueName, name: string, data: unknown, options: EnqueueOptions = {}): void {
    this.prepare(queue, [{ name, data, options }], []);
  }

  /** Validates a batch exactly as `addBulk` does, without sending anything. */
  validateBulk(queue: QueueName, jobs: readonly BulkJobInput[]): void {
    this.prepare(queue, jobs, ['jobs']);
  }

  /**
   * Adds several jobs in one round trip. All of them are validated first: one
   * invalid job rejects the batch and none is added.
   */
  async addBulk(queue: QueueName, jobs: readonly BulkJobInput[]): Promise<Job[]> {
    const prepared = this.prepare(queue, jobs, ['jobs']);
    const added = await this.queue(queue).addBulk(prepared);
    this.jobsAdded?.inc({ queue }, added.length);
    return added;
  }

  /** BullMQ queue object of `name`, created on first use with the contract's default job options. */
  queue(name: QueueName): Queue {
    let instance = this.queueInstances.get(name);
    if (instance === undefined) {
      instance = new Queue(queues[name].name, {
        connection: this.connection,
        prefix: this.options.prefix,
        defaultJobOptions: queues[name].defaultJobOptions,
      });
      this.queueInstances.set(name, instance);
    }
    return instance;
  }

  /** Closes the BullMQ queue objects; the shared connection is closed by its owner. */
  async close(): Promise<void> {
    await Promise.all([...this.queueInstances.values()].map((instance) => instance.close()));
    this.queueInstances.clear();
  }

  private prepare(
    queue: QueueName,
    jobs: readonly BulkJobInput[],
    basePath: (string | number)[],
  ): { name: string; data: Record<string, unknown>; opts: JobsOptions }[] {
    const issues: ValidationIssue[] = [];
    const prepared: { name: string; data: Record<string, unknown>; opts: JobsOptions }[] = [];

    jobs.forEach((job, index) => {
      const path = basePath.length === 0 ? [] : [...basePath, index];

      if (!isJobName(queue, job.name)) {
        const known = Object.keys(queues[queue].jobs).join(', ');
        issues.push({
          path: [...path, 'name'],
          message: `unknown job for queue "${queue}"; expected one of: ${known}`,
        });
        return;
      }

      const payload = jobSchema(queue, job.name).safeParse(job.data);
      if (!payload.success) {
        issues.push(...toValidationIssues(payload.error.issues, [...path, 'data']));
      }

      const { requestId, ...jobOptions } = job.options ?? {};
      const options = enqueueOptionsSchema.safeParse(jobOptions);
      if (!options.success) {
        issues.push(...toValidationIssues(options.error.issues, path));
      }

      if (payload.success && options.success) {
        prepared.push({
          name: job.name,
          data: withJobMeta(payload.data, requestId === undefined ? {} : { requestId }),
          opts: toBullOptions(options.data),
        });
      }
    });

    if (issues.length > 0) {
      const what = jobs.length === 1 ? 'Invalid job' : 'Invalid jobs in batch';
      throw new ValidationError(`${what} for queue "${queue}"`, issues);
    }
    return prepared;
  }
}

function toBullOptions(options: z.output<typeof enqueueOptionsSchema>): JobsOptions {
  const opts: JobsOptions = {};
  if (options.jobId !== undefined) {
    opts.jobId = options.jobId;
  }
  if (options.delayMs !== undefined && options.delayMs > 0) {
    opts.delay = options.delayMs;
  }
  if (options.priority !== undefined && options.priority > 0) {
    opts.priority = options.priority;
  }
  return opts;
}
