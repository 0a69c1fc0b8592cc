import { CronExpressionParser } from 'cron-parser';

/*
 * Cron handling with the same parser BullMQ 6 uses for job schedulers
 * (`cron-parser` 5, called as `CronExpressionParser.parse(pattern, { tz,
 * currentDate })`), so a pattern accepted here is one BullMQ accepts, and a
 * next-run time computed here is the one BullMQ stores.
 */

/** Returns why `pattern` is not a valid cron pattern, or `undefined` when it is valid. */
export function cronPatternProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `has ${fields.length} fields, expected 5 (minute first) or 6 (second first)`;
  }

  try {
    CronExpressionParser.parse(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Returns why `timeZone` is not a known IANA time zone, or `undefined` when it is known. */
export function timeZoneProblem(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return 'is not a known IANA time zone, such as UTC or Europe/Berlin';
  }
}

/**
 * Computes the next `count` run instants of `pattern` read in `timeZone`,
 * each strictly after the previous one, starting strictly after `after`.
 */
export function nextRunTimes(pattern: string, timeZone: string, after: Date, count = 1): Date[] {
  const expression = CronExpressionParser.parse(pattern, { tz: timeZone, currentDate: after });
  const runs: Date[] = [];
  for (let index = 0; index < count; index += 1) {
    runs.push(expression.next().toDate());
  }
  return runs;
}
