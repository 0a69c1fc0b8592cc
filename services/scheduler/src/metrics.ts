import { counter, gauge, type Registry } from '@backbone/platform';
import type { Counter, Gauge } from 'prom-client';

export interface SchedulerMetrics {
  schedulesDeclared: Gauge;
  lastReconcileSuccess: Gauge;
  nextRun: Gauge<'schedule'>;
  scheduleChanges: Counter<'outcome'>;
  reconcileFailures: Counter;
}

export function createSchedulerMetrics(registry: Registry): SchedulerMetrics {
  return {
    schedulesDeclared: gauge(registry, {
      name: 'scheduler_schedules_declared',
      help: 'Schedules declared in the contracts that this scheduler keeps in Redis.',
    }),
    lastReconcileSuccess: gauge(registry, {
      name: 'scheduler_last_reconcile_success_timestamp_seconds',
      help: 'Unix time at which the last successful reconcile finished; 0 before the first.',
    }),
    nextRun: gauge(registry, {
      name: 'scheduler_schedule_next_run_timestamp_seconds',
      help: 'Unix time of the next run of each schedule, as BullMQ stores it.',
      labelNames: ['schedule'],
    }),
    scheduleChanges: counter(registry, {
      name: 'scheduler_schedule_changes_total',
      help: 'Job schedulers written by reconciles, by outcome: created, changed, restored (run missing) or removed.',
      labelNames: ['outcome'],
    }),
    reconcileFailures: counter(registry, {
      name: 'scheduler_reconcile_failures_total',
      help: 'Reconciles that failed, lock timeouts included.',
    }),
  };
}
