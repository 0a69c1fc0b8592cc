import { randomUUID } from 'node:crypto';

import { type QueueName, queueNames } from '@backbone/contracts';
import { ConflictError, type EnqueueOptions, NotFoundError } from '@backbone/platform';
import { Job as BullJob, type Job, type JobType } from 'bullmq';
import type { Response } from 'express';
import { z } from 'zod';

import { type ApiContext, loggerOf, requestIdOf } from '../context';
import { jsonBody } from '../http/body';
import type { RouteHandler, RouteTable } from '../http/route-table';
import { hashRequest, IDEMPOTENCY_KEY_HEADER, idempotencyKeyOf } from '../idempotency';
import { parseBody, queueParam } from './params';

/** Maximum number of jobs in one batch request. */
export const MAX_BATCH_JOBS = 1_000;

const jobRequestSchema = z.strictObject({
  name: z.string().min(1).max(128),
  data: z.unknown(),
  delayMs: z.number().optional(),
  priority: z.number().optional(),
});

const batchRequestSchema = z.strictObject({
  jobs: z.array(jobRequestSchema).min(1).max(MAX_BATCH_JOBS),
});

type JobRequest = z.output<typeof jobRequestSchema>;

/** Header set to `true` on a response that repeats an earlier request's job. */
export const IDEMPOTENT_REPLAY_HEADER = 'Idempotent-Replayed';

/** BullMQ states in `getJobCounts`; `waiting` in responses adds `prioritized`, which BullMQ keeps apart. */
const COUNTED_STATES: JobType[] = [
  'wait',
  'prioritized',
  'active',
  'delayed',
  'completed',
  'failed',
  'waiting-children',
];

export function statusUrl(queue: QueueName, jobId: string): string {
  return `/v1/queues/${queue}/jobs/${encodeURIComponent(jobId)}`;
}

/** State of a job just added, known from its options without asking Redis. */
function stateAfterAdd(request: Pick<JobRequest, 'delayMs' | 'priority'>): string {
  if ((request.delayMs ?? 0) > 0) {
    return 'delayed';
  }
  return (request.priority ?? 0) > 0 ? 'prioritized' : 'waiting';
}

function enqueueOptions(request: JobRequest, requestId: string): EnqueueOptions {
  const options: EnqueueOptions = { requestId };
  if (request.delayMs !== undefined) {
    options.delayMs = request.delayMs;
  }
  if (request.priority !== undefined) {
    options.priority = request.priority;
  }
  return options;
}

/**
 * Responds 202 with the job's status URL. This is the api's busiest response,
 * so it skips Express's `send`, because an ETag and a freshness check mean
 * nothing on a 202. Node sets Content-Length for a single `end`.
 */
function sendAccepted(response: Response, queue: QueueName, job: { id: string; name: string; state: string }): void {
  const url = statusUrl(queue, job.id);
  response.statusCode = 202;
  response.setHeader('Location', url);
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.end(JSON.stringify({ id: job.id, queue, name: job.name, state: job.state, statusUrl: url }));
}

async function findJob(context: ApiContext, queue: QueueName, id: string): Promise<Job> {
  const job = await BullJob.fromId(context.producer.queue(queue), id);
  if (job === undefined) {
    throw new NotFoundError('job_not_found', `Job "${id}" does not exist in queue "${queue}"`);
  }
  return job;
}

export function registerJobRoutes(routes: RouteTable, context: ApiContext, auth: RouteHandler): void {
  const { producer, idempotency, config } = context;
  const json = jsonBody(config.API_JSON_BODY_LIMIT_BYTES);
  const batchJson = jsonBody(config.API_BATCH_BODY_LIMIT_BYTES);

  routes.add('get', '/v1/queues', auth, async (_request, response) => {
    const summaries = await Promise.all(
      queueNames.map(async (name) => {
        const queue = producer.queue(name);
        const [counts, paused] = await Promise.all([queue.getJobCounts(...COUNTED_STATES), queue.isPaused()]);
        return {
          name,
          paused,
          counts: {
            waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
            prioritized: counts.prioritized ?? 0,
            active: counts.active ?? 0,
            delayed: counts.delayed ?? 0,
            completed: counts.completed ?? 0,
            failed: counts.failed ?? 0,
            waitingChildren: counts['waiting-children'] ?? 0,
          },
        };
      }),
    );
    response.json({ queues: summaries });
  });

  routes.add('post', '/v1/queues/:queue/jobs', auth, ...json, async (request, response) => {
    const queue = queueParam(request.params.queue);
    const body = parseBody(jobRequestSchema, request.body, 'job');
    const options = enqueueOptions(body, requestIdOf(response));
    const key = idempotencyKeyOf(request.get(IDEMPOTENCY_KEY_HEADER));

    if (key === undefined) {
      const job = await producer.add(queue, body.name, body.data, options);
      sendAccepted(response, queue, { id: job.id!, name: body.name, state: stateAfterAdd(body) });
      return;
    }

    // Validate before claiming the key, so a rejected request leaves no record behind.
    producer.validate(queue, body.name, body.data, options);
    const requestHash = hashRequest({ queue, job: body });
    const jobId = randomUUID();
    const outcome = await idempotency.addOnce(key, requestHash, [jobId], () =>
      producer.add(queue, body.name, body.data, { ...options, jobId }),
    );

    const id = outcome.jobIds[0]!;
    if (outcome.replayed) {
      loggerOf(response).info('Idempotent request replayed', { queue, jobId: id });
      response.set(IDEMPOTENT_REPLAY_HEADER, 'true');
    }
    const state = outcome.replayed ? await producer.queue(queue).getJobState(id) : stateAfterAdd(body);
    sendAccepted(response, queue, { id, name: body.name, state });
  });

  routes.add('post', '/v1/queues/:queue/jobs/batch', auth, ...batchJson, async (request, response) => {
    const queue = queueParam(request.params.queue);
    const body = parseBody(batchRequestSchema, request.body, 'batch');
    const requestId = requestIdOf(response);
    const key = idempotencyKeyOf(request.get(IDEMPOTENCY_KEY_HEADER));
    const toBulk = (jobIds?: string[]) =>
      body.jobs.map((job, index) => ({
        name: job.name,
        data: job.data,
        options: { ...enqueueOptions(job, requestId), ...(jobIds === undefined ? {} : { jobId: jobIds[index] }) },
      }));

    let ids: string[];
    let states: string[] = body.jobs.map(stateAfterAdd);
    if (key === undefined) {
      ids = (await producer.addBulk(queue, toBulk())).map((job) => job.id!);
    } else {
      producer.validateBulk(queue, toBulk());
      const requestHash = hashRequest({ queue, jobs: body.jobs });
      const jobIds = body.jobs.map(() => randomUUID());
      const outcome = await idempotency.addOnce(key, requestHash, jobIds, () =>
        producer.addBulk(queue, toBulk(jobIds)),
      );

      ids = outcome.jobIds;
      if (outcome.replayed) {
        loggerOf(response).info('Idempotent batch replayed', { queue, jobs: ids.length });
        response.set(IDEMPOTENT_REPLAY_HEADER, 'true');
        states = await Promise.all(ids.map((id) => producer.queue(queue).getJobState(id)));
      }
    }

    response.status(202).json({
      queue,
      jobs: ids.map((id, index) => ({
        id,
        name: body.jobs[index]!.name,
        state: states[index],
        statusUrl: statusUrl(queue, id),
      })),
    });
  });

  routes.add('get', '/v1/queues/:queue/jobs/:id', auth, async (request, response) => {
    const queue = queueParam(request.params.queue);
    const job = await findJob(context, queue, String(request.params.id));
    const state = await job.getState();

    response.json({
      id: job.id,
      queue,
      name: job.name,
      state,
      progress: job.progress,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      result: job.returnvalue ?? null,
      failedReason: job.failedReason ?? null,
      createdAt: toIso(job.timestamp),
      processedAt: toIso(job.processedOn),
      finishedAt: toIso(job.finishedOn),
    });
  });

  routes.add('post', '/v1/queues/:queue/jobs/:id/retry', auth, ...json, async (request, response) => {
    const queue = queueParam(request.params.queue);
    const job = await findJob(context, queue, String(request.params.id));
    const state = await job.getState();
    if (state !== 'failed') {
      throw new ConflictError('job_not_failed', `Job "${job.id}" is ${state}; only failed jobs can be retried`);
    }

    await job.retry('failed');
    loggerOf(response).info('Failed job retried', { queue, jobId: job.id });
    sendAccepted(response, queue, { id: job.id!, name: job.name, state: 'waiting' });
  });
}

function toIso(epochMs: number | undefined): string | null {
  return epochMs === undefined || epochMs === 0 ? null : new Date(epochMs).toISOString();
}
