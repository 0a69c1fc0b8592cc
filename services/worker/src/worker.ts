import { type QueueName, queues } from '@backbone/contracts';
import { FileSystemMediaStore, MapStore, TournamentStore } from '@backbone/game-store';
import {
  closeRedis,
  createMetricsRegistry,
  createRedisConnection,
  EventPublisher,
  type Lifecycle,
  type Logger,
  OpsServer,
  pingRedis,
  type Registry,
  startWithLifecycle,
  waitForRedisReady,
} from '@backbone/platform';
import type { Redis } from 'ioredis';
import nodemailer from 'nodemailer';

import { concurrencyFor, type WorkerConfig } from './config';
import { createJobMetrics } from './job-metrics';
import { activateTournamentsProcessor } from './processors/activate-tournaments';
import { mapImageProcessor } from './processors/map-image';
import { sendEmailProcessor } from './processors/send-email';
import { buildProcessorRegistry, type Processor } from './registry';
import { MAX_RESERVE_MS, RESERVE_SHARE, WorkerPool } from './worker-pool';

/** Shared clients and settings handed to the processors, built once per service. */
export interface ProcessorServices {
  config: WorkerConfig;
  redis: Redis;
  publisher: EventPublisher;
  logger: Logger;
}

export interface WorkerDeps {
  logger: Logger;
  /** Registry served on `/metrics`; a new one by default. */
  metrics?: Registry;
  /** Lifecycle that stops what the worker started; `runService` passes its own, tests get one made here. */
  lifecycle?: Lifecycle;
  /** Builds the processors; defaults to `createProcessors`. Tests pass others to check the start-up checks. */
  processors?: (services: ProcessorServices) => Processor[];
  /** Host of the ops server; every interface by default. */
  opsHost?: string;
}

export interface WorkerHandle {
  /** Port of `/healthz`, `/readyz` and `/metrics`. */
  opsPort: number;
  queues: QueueName[];
  pool: WorkerPool;
  metrics: Registry;
  /** Stops taking jobs, lets active ones finish until `SHUTDOWN_TIMEOUT_MS`, then closes everything. */
  stop(): Promise<boolean>;
}

/** Maximum wait for Redis during start-up before the start fails. */
const REDIS_START_TIMEOUT_MS = 30_000;

/** Processors of every job declared in the contracts. */
export function createProcessors(services: ProcessorServices): Processor[] {
  const { config, redis, publisher, logger } = services;
  const transport = nodemailer.createTransport({
    url: config.SMTP_URL,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });

  return [
    mapImageProcessor({
      mediaStore: new FileSystemMediaStore(config.MEDIA_DIR),
      mapStore: new MapStore(redis),
      publisher,
      maxInputPixels: config.IMAGE_MAX_INPUT_PIXELS,
    }),
    sendEmailProcessor({ redis, transport, from: config.EMAIL_FROM, prefix: config.BULLMQ_PREFIX, logger }),
    activateTournamentsProcessor({ tournamentStore: new TournamentStore(redis), publisher }),
  ];
}

/**
 * Starts the worker: checks that every declared job has exactly one
 * processor, opens Redis, serves the ops endpoints, and runs one BullMQ
 * worker per served queue once everything is ready.
 */
export async function startWorker(config: WorkerConfig, deps: WorkerDeps): Promise<WorkerHandle> {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createMetricsRegistry('worker');

  return startWithLifecycle(deps.lifecycle, { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }, (lifecycle) =>
    startComponents(config, deps, lifecycle, metrics),
  );
}

async function startComponents(
  config: WorkerConfig,
  deps: WorkerDeps,
  lifecycle: Lifecycle,
  metrics: Registry,
): Promise<WorkerHandle> {
  const logger = deps.logger;
  const redis = createRedisConnection(config.REDIS_URL, 'worker', { name: 'worker' });
  lifecycle.add('redis', () => closeRedis(redis));

  const publisher = new EventPublisher(redis, metrics, { streamMaxLength: config.EVENTS_STREAM_MAX_LENGTH });
  const services: ProcessorServices = { config, redis, publisher, logger };
  const registry = buildProcessorRegistry((deps.processors ?? createProcessors)(services));

  const pool = new WorkerPool({ config, connection: redis, registry, logger, metrics: createJobMetrics(metrics) });

  const ops = new OpsServer({
    port: config.OPS_PORT,
    ...(deps.opsHost === undefined ? {} : { host: deps.opsHost }),
    logger,
    registry: metrics,
    readiness: { redis: () => pingRedis(redis), workers: () => pool.isRunning() },
  });
  const opsPort = await ops.start();
  lifecycle.add('ops server', () => ops.stop());

  await waitForRedisReady(redis, REDIS_START_TIMEOUT_MS);
  lifecycle.add('workers', (deadline) => pool.stop(deadline));
  pool.run();

  warnIfShutdownTooShort(config, logger);
  logger.info('Worker serving queues', {
    queues: config.WORKER_QUEUES,
    concurrency: Object.fromEntries(config.WORKER_QUEUES.map((queue) => [queue, concurrencyFor(config, queue)])),
  });

  return {
    opsPort,
    queues: config.WORKER_QUEUES,
    pool,
    metrics,
    stop: () => lifecycle.stop('stop requested'),
  };
}

/**
 * Warns when `SHUTDOWN_TIMEOUT_MS` leaves active jobs less time than the
 * longest job of a served queue may take (`maxJobDurationMs` in the
 * contracts), because such jobs would then go back to their queue at every
 * shutdown instead of finishing.
 */
function warnIfShutdownTooShort(config: WorkerConfig, logger: Logger): void {
  const longestJobMs = Math.max(...config.WORKER_QUEUES.map((queue) => queues[queue].worker.maxJobDurationMs));
  const graceMs = config.SHUTDOWN_TIMEOUT_MS - Math.min(MAX_RESERVE_MS, config.SHUTDOWN_TIMEOUT_MS * RESERVE_SHARE);
  if (graceMs < longestJobMs) {
    logger.warn('SHUTDOWN_TIMEOUT_MS leaves active jobs less time than the longest job may take', {
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      graceMs,
      longestJobMs,
    });
  }
}
