import { type AnySchedule, schedules as declaredSchedules, type QueueName } from '@backbone/contracts';
import { z } from 'zod';

import { cronPatternProblem, timeZoneProblem } from './cron';

/** Operator's replacement for a declared schedule's pattern or time zone. */
export const scheduleOverrideSchema = z.strictObject({
  pattern: z.string().min(1).optional(),
  timeZone: z.string().min(1).optional(),
});

export type ScheduleOverride = z.output<typeof scheduleOverrideSchema>;

/** Overrides by schedule id. */
export type ScheduleOverrides = Record<string, ScheduleOverride>;

/** A schedule as the scheduler keeps it in Redis: the declared one with any override applied. */
export interface DesiredSchedule {
  id: string;
  queue: QueueName;
  jobName: string;
  pattern: string;
  timeZone: string;
  data: Record<string, unknown>;
  /** Whether the pattern or time zone comes from an override rather than the contracts. */
  overridden: boolean;
}

/** Raised when a schedule, declared or overridden, has an invalid pattern or time zone. */
export class InvalidScheduleError extends Error {
  constructor(
    readonly scheduleId: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidScheduleError';
  }
}

/**
 * Lists every problem of `overrides` against `declared`: unknown schedule
 * ids, invalid cron patterns and unknown time zones. Each message starts with
 * the schedule id.
 */
export function overrideProblems(
  overrides: ScheduleOverrides,
  declared: readonly AnySchedule[] = declaredSchedules,
): string[] {
  const problems: string[] = [];
  const declaredIds = declared.map((schedule) => schedule.id);

  for (const [id, override] of Object.entries(overrides)) {
    if (!declaredIds.includes(id)) {
      problems.push(`schedule "${id}" is not declared; declared schedules: ${declaredIds.join(', ')}`);
      continue;
    }
    problems.push(...scheduleProblems(id, override.pattern, override.timeZone));
  }
  return problems;
}

/**
 * Applies `overrides` to the declared schedules and validates the result.
 * Throws `InvalidScheduleError` naming the first invalid schedule, so a bad
 * pattern in the contracts stops the service just as a bad override does.
 */
export function resolveSchedules(
  overrides: ScheduleOverrides,
  declared: readonly AnySchedule[] = declaredSchedules,
): DesiredSchedule[] {
  const unknown = Object.keys(overrides).filter((id) => !declared.some((schedule) => schedule.id === id));
  if (unknown.length > 0) {
    throw new InvalidScheduleError(
      String(unknown[0]),
      `Invalid override: schedule "${unknown[0]}" is not declared in the contracts`,
    );
  }

  return declared.map((schedule) => {
    const override = overrides[schedule.id] ?? {};
    const pattern = override.pattern ?? schedule.pattern;
    const timeZone = override.timeZone ?? schedule.timeZone;

    const [problem] = scheduleProblems(schedule.id, pattern, timeZone);
    if (problem !== undefined) {
      throw new InvalidScheduleError(schedule.id, `Invalid schedule: ${problem}`);
    }

    return {
      id: schedule.id,
      queue: schedule.queue,
      jobName: schedule.jobName,
      pattern,
      timeZone,
      data: { ...(schedule.data as Record<string, unknown>) },
      overridden: override.pattern !== undefined || override.timeZone !== undefined,
    };
  });
}

function scheduleProblems(id: string, pattern: string | undefined, timeZone: string | undefined): string[] {
  const problems: string[] = [];
  if (pattern !== undefined) {
    const problem = cronPatternProblem(pattern);
    if (problem !== undefined) {
      problems.push(`schedule "${id}": cron pattern "${pattern}" is invalid: ${problem}`);
    }
  }
  if (timeZone !== undefined) {
    const problem = timeZoneProblem(timeZone);
    if (problem !== undefined) {
      problems.push(`schedule "${id}": time zone "${timeZone}" ${problem}`);
    }
  }
  return problems;
}
