import { ScheduleIds, schedules } from '@backbone/contracts';
import { ConfigError, loadConfig } from '@backbone/platform';
import { getNextMillis } from 'bullmq';

import { schedulerConfigShape } from '../src/config';
import { cronPatternProblem, nextRunTimes, timeZoneProblem } from '../src/schedules/cron';
import { InvalidScheduleError, resolveSchedules } from '../src/schedules/desired-schedules';

function loadWithOverrides(value: string): unknown {
  return loadConfig(schedulerConfigShape, { env: { SCHEDULER_OVERRIDES: value } });
}

function configErrorOf(value: string): ConfigError {
  try {
    loadWithOverrides(value);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('cron validation', () => {
  it.each(['0 * * * *', '*/5 * * * * *', '0 6 * * 1', '30 2 1 * *'])('accepts %s', (pattern) => {
    expect(cronPatternProblem(pattern)).toBeUndefined();
  });

  it.each(['not a cron', '61 * * * *', '* * * *', '0 0 * * * * *', '0 25 * * *'])('rejects %s', (pattern) => {
    expect(cronPatternProblem(pattern)).toEqual(expect.any(String));
  });

  it('accepts known IANA time zones', () => {
    expect(timeZoneProblem('America/New_York')).toBeUndefined();
  });

  it('rejects unknown time zones', () => {
    expect(timeZoneProblem('Mars/Olympus_Mons')).toMatch(/not a known IANA time zone/);
  });
});

describe('schedule overrides from config', () => {
  it('applies a pattern override', () => {
    const config = loadConfig(schedulerConfigShape, {
      env: { SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { pattern: '*/5 * * * * *' } }) },
    });

    const [schedule] = resolveSchedules(config.SCHEDULER_OVERRIDES);

    expect(schedule?.pattern).toBe('*/5 * * * * *');
    expect(schedule?.timeZone).toBe('UTC');
    expect(schedule?.overridden).toBe(true);
  });

  it('applies a time zone override', () => {
    const [schedule] = resolveSchedules({ [ScheduleIds.activateTournaments]: { timeZone: 'Europe/Moscow' } });

    expect(schedule?.timeZone).toBe('Europe/Moscow');
    expect(schedule?.pattern).toBe(schedules[0].pattern);
  });

  it('keeps declared values without overrides', () => {
    const config = loadConfig(schedulerConfigShape, { env: {} });

    expect(resolveSchedules(config.SCHEDULER_OVERRIDES)).toEqual([
      {
        id: ScheduleIds.activateTournaments,
        queue: schedules[0].queue,
        jobName: schedules[0].jobName,
        pattern: '0 * * * *',
        timeZone: 'UTC',
        data: {},
        overridden: false,
      },
    ]);
  });

  it('rejects an invalid pattern naming the schedule', () => {
    const error = configErrorOf(JSON.stringify({ 'activate-tournaments': { pattern: '99 * * * *' } }));

    expect(error.variables).toEqual(['SCHEDULER_OVERRIDES']);
    expect(error.message).toContain('schedule "activate-tournaments": cron pattern "99 * * * *" is invalid');
  });

  it('rejects an unknown time zone naming the schedule', () => {
    const error = configErrorOf(JSON.stringify({ 'activate-tournaments': { timeZone: 'Europe/Atlantis' } }));

    expect(error.message).toContain('schedule "activate-tournaments": time zone "Europe/Atlantis" is not a known');
  });

  it('rejects an override of an undeclared schedule', () => {
    const error = configErrorOf(JSON.stringify({ 'send-reports': { pattern: '0 * * * *' } }));

    expect(error.message).toContain('schedule "send-reports" is not declared');
  });

  it('rejects malformed JSON', () => {
    const error = configErrorOf('{activate-tournaments: 1');

    expect(error.message).toContain('SCHEDULER_OVERRIDES: must be a JSON object');
  });

  it('rejects unknown override fields', () => {
    const error = configErrorOf(JSON.stringify({ 'activate-tournaments': { every: 1000 } }));

    expect(error.variables).toEqual(['SCHEDULER_OVERRIDES']);
  });

  it('rejects an invalid declared pattern naming the schedule', () => {
    const broken = [{ ...schedules[0], id: 'broken-schedule', pattern: '0 0 31 2 * * *' }];

    expect(() => resolveSchedules({}, broken)).toThrow(InvalidScheduleError);
    expect(() => resolveSchedules({}, broken)).toThrow(/schedule "broken-schedule"/);
  });
});

describe('next runs across daylight-saving changes', () => {
  // America/New_York is UTC-5 (EST) until 2026-03-08 02:00 local, UTC-4 (EDT)
  // until 2026-11-01 02:00 local, then UTC-5 again. Monday 06:00 local is
  // therefore 11:00Z in winter and 10:00Z in summer.
  const mondaySix = '0 6 * * 1';
  const newYork = 'America/New_York';

  it('moves one hour earlier in UTC after the March change', () => {
    const runs = nextRunTimes(mondaySix, newYork, new Date('2026-02-25T00:00:00Z'), 4);

    expect(runs.map((run) => run.toISOString())).toEqual([
      '2026-03-02T11:00:00.000Z',
      '2026-03-09T10:00:00.000Z',
      '2026-03-16T10:00:00.000Z',
      '2026-03-23T10:00:00.000Z',
    ]);
  });

  it('moves one hour later in UTC after the November change', () => {
    const runs = nextRunTimes(mondaySix, newYork, new Date('2026-10-20T00:00:00Z'), 4);

    expect(runs.map((run) => run.toISOString())).toEqual([
      '2026-10-26T10:00:00.000Z',
      '2026-11-02T11:00:00.000Z',
      '2026-11-09T11:00:00.000Z',
      '2026-11-16T11:00:00.000Z',
    ]);
  });

  it('finds the local run between 10:00Z and 11:00Z in winter', () => {
    const [run] = nextRunTimes(mondaySix, newYork, new Date('2026-03-02T10:30:00Z'));

    expect(run?.toISOString()).toBe('2026-03-02T11:00:00.000Z');
  });

  it('skips to next week after the summer run', () => {
    const [run] = nextRunTimes(mondaySix, newYork, new Date('2026-03-09T10:00:00Z'));

    expect(run?.toISOString()).toBe('2026-03-16T10:00:00.000Z');
  });

  it.each([
    '2026-02-25T00:00:00Z',
    '2026-03-02T10:30:00Z',
    '2026-03-07T12:00:00Z',
    '2026-10-31T12:00:00Z',
    '2026-11-02T10:30:00Z',
  ])('matches BullMQ from %s', (from) => {
    const [run] = nextRunTimes(mondaySix, newYork, new Date(from));

    expect(run?.getTime()).toBe(getNextMillis(Date.parse(from), { pattern: mondaySix, tz: newYork }));
  });
});
