import { durationMsSchema, type ServiceConfig } from '@backbone/platform';
import { z } from 'zod';

import { overrideProblems, type ScheduleOverrides, scheduleOverrideSchema } from './schedules/desired-schedules';

/**
 * `SCHEDULER_OVERRIDES`: a JSON object from schedule id to a replacement
 * `pattern` and/or `timeZone`, such as
 * `{"activate-tournaments": {"pattern": "*\/5 * * * * *"}}`. Every id must be
 * declared in the contracts, every pattern must parse and every time zone
 * must be a known IANA zone.
 */
const overridesSchema = z
  .string()
  .transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a JSON object such as {"schedule-id": {"pattern": "0 * * * *"}}',
      });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), scheduleOverrideSchema))
  .superRefine((overrides: ScheduleOverrides, ctx) => {
    for (const problem of overrideProblems(overrides)) {
      ctx.addIssue({ code: 'custom', message: problem });
    }
  });

export const schedulerConfigShape = {
  /** Time between two reconciles after the one at start. */
  SCHEDULER_RECONCILE_INTERVAL_MS: durationMsSchema.default(60_000),
  /** Lifetime of the Redis lock that keeps two replicas from reconciling at once. */
  SCHEDULER_LOCK_TTL_MS: durationMsSchema.default(30_000),
  SCHEDULER_OVERRIDES: overridesSchema.default({}),
};

export type SchedulerConfig = ServiceConfig<typeof schedulerConfigShape>;
