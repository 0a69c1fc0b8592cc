import { type QueueName, queues as queueContracts } from '@backbone/contracts';
import type { Logger } from '@backbone/platform';
import type { JobSchedulerJson, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import type { SchedulerMetrics } from './metrics';
import type { ReconcileLock } from './reconcile-lock';
import type { DesiredSchedule } from './schedules/desired-schedules';
import { findPendingRuns, isRunOutstanding, schedulerRunId } from './schedules/pending-runs';

/** Result of one reconcile for one declared schedule. */
export type ScheduleOutcome = 'created' | 'changed' | 'restored' | 'unchanged';

export interface ScheduleResult {
  id: string;
  queue: QueueName;
  outcome: ScheduleOutcome;
  /** Fields that differed from the desired schedule; empty unless `changed`. */
  changes: string[];
  /** Next run as BullMQ stores it, in epoch ms. */
  nextRunAtMs: number | undefined;
}

export interface ReconcileReport {
  schedules: ScheduleResult[];
  removed: { id: string; queue: QueueName; removedRuns: number }[];
  durationMs: number;
}

export interface ScheduleReconcilerOptions {
  /** One BullMQ queue per queue declared in the contracts; schedulers of other queues are never touched. */
  queues: ReadonlyMap<QueueName, Queue>;
  redis: Redis;
  schedules: readonly DesiredSchedule[];
  lock: ReconcileLock;
  /** Maximum wait for another replica's reconcile to release the lock. */
  lockWaitMs: number;
  logger: Logger;
  metrics: SchedulerMetrics;
}

/** Raised when another replica held the reconcile lock for longer than the wait allows. */
export class ReconcileLockBusyError extends Error {
  constructor(waitMs: number) {
    super(`Reconcile lock still held by another scheduler after ${waitMs} ms`);
    this.name = 'ReconcileLockBusyError';
  }
}

/**
 * Makes the job schedulers in Redis match the desired schedules: creates the
 * missing ones, rewrites the ones whose pattern, time zone, job name, data or
 * job options differ, leaves equal ones alone, and removes undeclared ones
 * with their pending run. One replica at a time reconciles, under a Redis lock.
 */
export class ScheduleReconciler {
  private reconciles = 0;

  constructor(private readonly options: ScheduleReconcilerOptions) {}

  /** Reconciles once; `signal` ends the wait for the lock early, as on shutdown. */
  async reconcile(signal?: AbortSignal): Promise<ReconcileReport> {
    const { lock, lockWaitMs } = this.options;
    const startedAt = Date.now();

    const token = await lock.acquire(lockWaitMs, signal);
    if (token === undefined) {
      throw new ReconcileLockBusyError(lockWaitMs);
    }

    try {
      const schedules: ScheduleResult[] = [];
      for (const desired of this.options.schedules) {
        schedules.push(await this.reconcileSchedule(desired));
      }
      const removed = await this.removeUndeclared();
      this.reconciles += 1;
      return { schedules, removed, durationMs: Date.now() - startedAt };
    } finally {
      const released = await lock.release(token);
      if (!released) {
        this.options.logger.warn('Reconcile lock expired before release; raise SCHEDULER_LOCK_TTL_MS', {
          durationMs: Date.now() - startedAt,
        });
      }
    }
  }

  private async reconcileSchedule(desired: DesiredSchedule): Promise<ScheduleResult> {
    const queue = this.queueOf(desired.queue);
    const existing = await queue.getJobScheduler(desired.id);

    let outcome: ScheduleOutcome;
    let changes: string[] = [];
    if (existing === undefined) {
      outcome = 'created';
    } else {
      changes = differences(existing, desired);
      if (changes.length > 0) {
        outcome = 'changed';
      } else if (!(await this.hasOutstandingRun(queue, existing))) {
        outcome = 'restored';
      } else {
        outcome = 'unchanged';
      }
    }

    if (outcome === 'created' || outcome === 'restored') {
      // Runs left behind by a scheduler whose own keys were lost would either
      // collide with the run the upsert adds (same id) or run beside it.
      await this.removePendingRuns(queue, desired.id);
    }
    if (outcome !== 'unchanged') {
      await queue.upsertJobScheduler(
        desired.id,
        { pattern: desired.pattern, tz: desired.timeZone },
        { name: desired.jobName, data: desired.data },
      );
      this.options.metrics.scheduleChanges.inc({ outcome });
    }

    const stored = outcome === 'unchanged' ? existing : await queue.getJobScheduler(desired.id);
    const nextRunAtMs = stored?.next ?? undefined;
    this.logSchedule(desired, outcome, changes, existing, nextRunAtMs);
    if (nextRunAtMs !== undefined) {
      this.options.metrics.nextRun.set({ schedule: desired.id }, nextRunAtMs / 1_000);
    }

    return { id: desired.id, queue: desired.queue, outcome, changes, nextRunAtMs };
  }

  /**
   * Checks that the scheduler's current run exists and has not finished. An
   * active run counts, because its worker adds the following run itself.
   */
  private async hasOutstandingRun(queue: Queue, scheduler: JobSchedulerJson): Promise<boolean> {
    if (scheduler.next === undefined || scheduler.next === null) {
      return false;
    }
    return isRunOutstanding(queue, schedulerRunId(scheduler.key, scheduler.next), true);
  }

  private async removeUndeclared(): Promise<ReconcileReport['removed']> {
    const removed: ReconcileReport['removed'] = [];

    for (const [queueName, queue] of this.options.queues) {
      const declaredIds = new Set(
        this.options.schedules.filter((schedule) => schedule.queue === queueName).map((schedule) => schedule.id),
      );
      const existing = await queue.getJobSchedulers();

      for (const scheduler of existing) {
        if (declaredIds.has(scheduler.key)) {
          continue;
        }

        // BullMQ deletes the run only while it is delayed. A due run already
        // moved to the wait list would still run once, so it is removed too.
        await queue.removeJobScheduler(scheduler.key);
        const removedRuns = await this.removePendingRuns(queue, scheduler.key);

        this.options.metrics.scheduleChanges.inc({ outcome: 'removed' });
        this.options.metrics.nextRun.remove({ schedule: scheduler.key });
        this.options.logger.info('Schedule removed', {
          scheduleId: scheduler.key,
          queue: queueName,
          pattern: scheduler.pattern,
          removedRuns,
        });
        removed.push({ id: scheduler.key, queue: queueName, removedRuns });
      }
    }
    return removed;
  }

  /** Removes every run of `schedulerId` that has not started; returns how many went. */
  private async removePendingRuns(queue: Queue, schedulerId: string): Promise<number> {
    let count = 0;
    for (const jobId of await findPendingRuns(this.options.redis, queue, schedulerId)) {
      count += await queue.remove(jobId);
    }
    if (count > 0) {
      this.options.logger.warn('Removed pending runs of a lost or retired scheduler', {
        scheduleId: schedulerId,
        queue: queue.name,
        count,
      });
    }
    return count;
  }

  private logSchedule(
    desired: DesiredSchedule,
    outcome: ScheduleOutcome,
    changes: string[],
    previous: JobSchedulerJson | undefined,
    nextRunAtMs: number | undefined,
  ): void {
    const fields = {
      scheduleId: desired.id,
      queue: desired.queue,
      pattern: desired.pattern,
      timeZone: desired.timeZone,
      overridden: desired.overridden,
      nextRunAt: nextRunAtMs === undefined ? null : new Date(nextRunAtMs).toISOString(),
    };
    const { logger } = this.options;

    switch (outcome) {
      case 'created':
        logger.info('Schedule created', fields);
        break;
      case 'changed':
        logger.info('Schedule changed', {
          ...fields,
          changes,
          previousPattern: previous?.pattern,
          previousTimeZone: previous?.tz,
        });
        break;
      case 'restored':
        logger.warn('Schedule had no pending run; added one', fields);
        break;
      default:
        // Every schedule's next run is worth a line at start; later it is routine.
        logger.log(this.reconciles === 0 ? 'info' : 'debug', 'Schedule unchanged', fields);
    }
  }

  private queueOf(name: QueueName): Queue {
    const queue = this.options.queues.get(name);
    if (queue === undefined) {
      throw new Error(`No queue open for "${name}", which a schedule targets`);
    }
    return queue;
  }
}

/** Names the fields in which the stored scheduler differs from the desired schedule. */
function differences(existing: JobSchedulerJson, desired: DesiredSchedule): string[] {
  const changes: string[] = [];
  if (existing.pattern !== desired.pattern || existing.every !== undefined) {
    changes.push('pattern');
  }
  if (existing.tz !== desired.timeZone) {
    changes.push('timeZone');
  }
  if (existing.name !== desired.jobName) {
    changes.push('jobName');
  }
  if (stableJson(existing.template?.data ?? {}) !== stableJson(desired.data)) {
    changes.push('data');
  }
  if (stableJson(existing.template?.opts ?? {}) !== stableJson(queueContracts[desired.queue].defaultJobOptions)) {
    changes.push('jobOptions');
  }
  return changes;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return item;
    }
    return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
  });
}
