import { z } from 'zod';

import { defineQueue } from './queue-contract';
import { entityIdSchema, mediaKeySchema } from './schemas';

/*
 * Every BullMQ queue of the system. Adding a queue or a job is a change to
 * this file plus its processor in the worker service. Queue and job names are
 * persisted in Redis: renaming one needs a migration of the keys.
 */

export const QueueNames = {
  imageProcessing: 'image-processing',
  sendEmail: 'send-email',
  scheduler: 'scheduler',
} as const;

export const JobNames = {
  mapImage: 'map-image',
  sendEmail: 'send-email',
  activateTournaments: 'activate-tournaments',
} as const;

/** Templates the send-email job can render; each lists the variables it needs. */
export const EmailTemplates = {
  tournamentStarted: 'tournament-started',
  mapCompleted: 'map-completed',
} as const;

export const mapImageJobSchema = z.strictObject({
  mapId: entityIdSchema,
  /** Key of the uploaded original in the media store; the job never carries the bytes. */
  sourceKey: mediaKeySchema,
});

const emailAddressSchema = z.email().max(254);

export const sendEmailJobSchema = z
  .strictObject({
    to: z.union([emailAddressSchema, z.array(emailAddressSchema).min(1).max(50)]),
    subject: z.string().min(1).max(998).optional(),
    text: z.string().max(100_000).optional(),
    html: z.string().max(200_000).optional(),
    template: z.enum([EmailTemplates.tournamentStarted, EmailTemplates.mapCompleted]).optional(),
    variables: z.record(z.string().max(64), z.union([z.string().max(1_000), z.number()])).optional(),
  })
  .superRefine((email, ctx) => {
    if (email.template !== undefined) {
      if (email.text !== undefined || email.html !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['template'],
          message: 'a template cannot be combined with text or html',
        });
      }
      return;
    }

    if (email.subject === undefined) {
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'required when no template is given' });
    }
    if (email.text === undefined && email.html === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'text or html is required when no template is given' });
    }
  });

export const activateTournamentsJobSchema = z.strictObject({});

export const queues = {
  [QueueNames.imageProcessing]: defineQueue({
    name: QueueNames.imageProcessing,
    description: 'Resizes an uploaded map image into WebP variants.',
    jobs: { [JobNames.mapImage]: mapImageJobSchema },
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: { count: 1_000, age: 24 * 3600 },
      removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
    },
    worker: { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, maxJobDurationMs: 20_000 },
  }),
  [QueueNames.sendEmail]: defineQueue({
    name: QueueNames.sendEmail,
    description: 'Sends one e-mail through SMTP, from a template or from given text.',
    jobs: { [JobNames.sendEmail]: sendEmailJobSchema },
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { count: 1_000, age: 24 * 3600 },
      removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
    },
    worker: { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, maxJobDurationMs: 20_000 },
  }),
  [QueueNames.scheduler]: defineQueue({
    name: QueueNames.scheduler,
    description: 'Periodic jobs added by the job schedulers that the scheduler service keeps.',
    jobs: { [JobNames.activateTournaments]: activateTournamentsJobSchema },
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { count: 500, age: 24 * 3600 },
      removeOnFail: { count: 1_000, age: 7 * 24 * 3600 },
    },
    worker: { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 1, maxJobDurationMs: 20_000 },
  }),
} as const;

export type Queues = typeof queues;
export type QueueName = keyof Queues;
export type JobName<Q extends QueueName> = keyof Queues[Q]['jobs'] & string;

/** Payload of job `J` of queue `Q` as the producer passes it. */
export type JobInput<Q extends QueueName, J extends JobName<Q>> = z.input<Queues[Q]['jobs'][J]>;

/** Payload of job `J` of queue `Q` after validation, as the processor receives it. */
export type JobData<Q extends QueueName, J extends JobName<Q>> = z.output<Queues[Q]['jobs'][J]>;

export const queueNames = Object.keys(queues) as QueueName[];

export function isQueueName(value: string): value is QueueName {
  return Object.hasOwn(queues, value);
}

export function isJobName<Q extends QueueName>(queue: Q, value: string): value is JobName<Q> {
  return Object.hasOwn(queues[queue].jobs, value);
}

/** Schema of job `name` of queue `queue`. */
export function jobSchema<Q extends QueueName, J extends JobName<Q>>(queue: Q, name: J): z.ZodType<JobData<Q, J>> {
  return (queues[queue].jobs as Record<string, z.ZodType>)[name] as z.ZodType<JobData<Q, J>>;
}
