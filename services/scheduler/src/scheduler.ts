import { type QueueName, queues as queueContracts, queueNames } from '@backbone/contracts';
import {
  closeRedis,
  createMetricsRegistry,
  createRedisConnection,
  type Logger,
  OpsServer,
  pingRedis,
  type Registry,
  waitForRedisReady,
} from '@backbone/platform';
import { Queue } from 'bullmq';

import type { SchedulerConfig } from './config';
import { createSchedulerMetrics } from './metrics';
import { ReconcileLock } from './reconcile-lock';
import { type ReconcileReport, ScheduleReconciler } from './reconciler';
import { resolveSchedules } from './schedules/desired-schedules';

export interface SchedulerDeps {
  logger: Logger;
  /** Registry for `/metrics`; a fresh one by default. */
  registry?: Registry;
}

export interface SchedulerHandle {
  /** Port of the ops server (`/healthz`, `/readyz`, `/metrics`). */
  opsPort: number;
  /** Runs one reconcile now, after any reconcile in progress, and returns what it did. */
  reconcileNow(): Promise<ReconcileReport>;
  /** Stops the periodic reconcile, waits for one in progress, and closes the queues, the ops server and Redis. */
  stop(): Promise<void>;
}

/** Maximum wait for Redis at start before the service fails to start. */
const REDIS_READY_TIMEOUT_MS = 10_000;

/**
 * Starts the scheduler: validates the schedules with their overrides, opens
 * one BullMQ queue per declared queue, reconciles once before it reports
 * ready, then again every `SCHEDULER_RECONCILE_INTERVAL_MS`. A failed
 * periodic reconcile is logged and counted, and the next one retries.
 */
export async function startScheduler(config: SchedulerConfig, deps: SchedulerDeps): Promise<SchedulerHandle> {
  const logger = deps.logger.child({ module: 'scheduler' });
  const registry = deps.registry ?? createMetricsRegistry('scheduler');
  const metrics = createSchedulerMetrics(registry);

  const schedules = resolveSchedules(config.SCHEDULER_OVERRIDES);
  metrics.schedulesDeclared.set(schedules.length);

  const redis = createRedisConnection(config.REDIS_URL, 'worker', { name: 'scheduler' });
  const queues = new Map<QueueName, Queue>();
  let firstReconcileDone = false;

  const ops = new OpsServer({
    port: config.OPS_PORT,
    logger,
    registry,
    readiness: {
      redis: () => pingRedis(redis),
      firstReconcile: () => firstReconcileDone,
    },
  });

  let opsStarted = false;
  const closeAll = async (): Promise<void> => {
    if (redis.status !== 'ready') {
      // Fails the commands queued while Redis is away, so nothing below waits for it.
      redis.disconnect();
    }
    for (const queue of queues.values()) {
      await queue.close();
    }
    if (opsStarted) {
      await ops.stop();
    }
    await closeRedis(redis);
  };

  let reconciler: ScheduleReconciler;
  let opsPort: number;
  try {
    opsPort = await ops.start();
    opsStarted = true;
    await waitForRedisReady(redis, REDIS_READY_TIMEOUT_MS);

    for (const name of queueNames) {
      queues.set(
        name,
        new Queue(name, {
          connection: redis,
          prefix: config.BULLMQ_PREFIX,
          defaultJobOptions: queueContracts[name].defaultJobOptions,
        }),
      );
    }

    reconciler = new ScheduleReconciler({
      queues,
      redis,
      schedules,
      lock: new ReconcileLock(redis, {
        key: `${config.BULLMQ_PREFIX}:scheduler-service:reconcile-lock`,
        ttlMs: config.SCHEDULER_LOCK_TTL_MS,
      }),
      lockWaitMs: config.SCHEDULER_LOCK_TTL_MS,
      logger,
      metrics,
    });
  } catch (error) {
    await closeAll();
    throw error;
  }

  // One reconcile at a time in this process; the Redis lock covers other replicas.
  const stopSignal = new AbortController();
  let running: Promise<ReconcileReport> | undefined;
  const runReconcile = async (): Promise<ReconcileReport> => {
    while (running !== undefined) {
      await running.catch(() => undefined);
    }
    const current = reconciler.reconcile(stopSignal.signal);
    running = current;
    try {
      const report = await current;
      metrics.lastReconcileSuccess.set(Date.now() / 1_000);
      logger.debug('Reconcile finished', { durationMs: report.durationMs });
      return report;
    } catch (error) {
      metrics.reconcileFailures.inc();
      throw error;
    } finally {
      running = undefined;
    }
  };

  try {
    await runReconcile();
    firstReconcileDone = true;
  } catch (error) {
    await closeAll();
    throw error;
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const scheduleNext = (): void => {
    timer = setTimeout(() => {
      void runReconcile()
        .catch((error: unknown) => {
          if (!stopped) {
            logger.error('Reconcile failed; retrying at the next interval', { error });
          }
        })
        .finally(() => {
          if (!stopped) {
            scheduleNext();
          }
        });
    }, config.SCHEDULER_RECONCILE_INTERVAL_MS);
  };
  scheduleNext();

  logger.info('Scheduler started', {
    schedules: schedules.length,
    reconcileIntervalMs: config.SCHEDULER_RECONCILE_INTERVAL_MS,
  });

  let stopping: Promise<void> | undefined;
  return {
    opsPort,
    reconcileNow: runReconcile,
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        stopSignal.abort();
        // A reconcile blocked on an unreachable Redis is failed by closeAll instead.
        if (redis.status === 'ready') {
          await running?.catch(() => undefined);
        }
        await closeAll();
      })();
      return stopping;
    },
  };
}
