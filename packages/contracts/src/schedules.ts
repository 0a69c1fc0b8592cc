import { type JobInput, type JobName, JobNames, type QueueName, QueueNames } from './queues';

/*
 * Every periodic job. The scheduler service keeps one BullMQ job scheduler per
 * entry, under the entry's id, and removes job schedulers that are no longer
 * listed here. Ids are persisted in Redis: renaming one removes the old
 * scheduler and creates a new one.
 */

export interface ScheduleContract<Q extends QueueName, J extends JobName<Q>> {
  /** Stable id of the BullMQ job scheduler. */
  id: string;
  description: string;
  queue: Q;
  jobName: J;
  /** Cron pattern with five fields (minute precision) or six (seconds first). */
  pattern: string;
  /** IANA time zone in which the pattern is read. */
  timeZone: string;
  data: JobInput<Q, J>;
}

/** Any declared schedule: the union over every queue and job of that queue. */
export type AnySchedule = {
  [Q in QueueName]: { [J in JobName<Q>]: ScheduleContract<Q, J> }[JobName<Q>];
}[QueueName];

function defineSchedule<const Q extends QueueName, const J extends JobName<Q>>(
  schedule: ScheduleContract<Q, J>,
): ScheduleContract<Q, J> {
  return schedule;
}

export const ScheduleIds = {
  activateTournaments: 'activate-tournaments',
} as const;

export const schedules = [
  defineSchedule({
    id: ScheduleIds.activateTournaments,
    description: 'Activates every scheduled tournament whose start time has passed.',
    queue: QueueNames.scheduler,
    jobName: JobNames.activateTournaments,
    pattern: '0 * * * *',
    timeZone: 'UTC',
    data: {},
  }),
] as const satisfies readonly AnySchedule[];

export type ScheduleId = (typeof schedules)[number]['id'];

export function findSchedule(id: string): AnySchedule | undefined {
  return schedules.find((schedule) => schedule.id === id);
}
