import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { queueNames } from '@backbone/contracts';
import { FileSystemMediaStore, MapStore, TournamentStore } from '@backbone/game-store';
import {
  CacheAside,
  closeRedis,
  createMetricsRegistry,
  createRedisConnection,
  EventPublisher,
  JobProducer,
  type Logger,
  OpsEndpoints,
  pingRedis,
  type Registry,
  waitForRedisReady,
} from '@backbone/platform';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';

import { mountBullBoard } from './bull-board';
import { type ApiConfig, checkApiConfig } from './config';
import type { ApiContext } from './context';
import { requireApiKey } from './http/auth';
import { HttpError, problemMiddleware } from './http/problem';
import { requestContext } from './http/request-context';
import { RouteTable } from './http/route-table';
import { IdempotencyStore } from './idempotency';
import { buildOpenApiDocument } from './openapi';
import { registerEventRoutes } from './routes/events';
import { registerImageRoutes } from './routes/images';
import { registerJobRoutes } from './routes/jobs';
import { registerMapRoutes } from './routes/maps';
import { registerOpsRoutes } from './routes/ops';
import { registerScheduleRoutes } from './routes/schedules';
import { registerTournamentRoutes } from './routes/tournaments';

export interface ApiDeps {
  logger: Logger;
  /** Metrics registry; a new one with default process metrics when omitted. */
  registry?: Registry;
}

export interface ApiHandle {
  /** Port the server listens on; the one picked by the system when `API_PORT` is 0. */
  port: number;
  app: Express;
  registry: Registry;
  /** Stops accepting requests, then closes the queues and the Redis connection. */
  stop(): Promise<void>;
}

/** Builds the Express app: request context, Bull Board, every route, 405 and 404, and the error middleware. */
export function createApp(context: ApiContext, registry: Registry): Express {
  const { config, redis, logger } = context;
  const isRedisReady = () => redis.status === 'ready';
  const boardPath = config.BULL_BOARD_BASE_PATH;

  const app = express();
  app.disable('x-powered-by');
  app.use(
    requestContext({
      logger,
      registry,
      routeOf: (path) => (path === boardPath || path.startsWith(`${boardPath}/`) ? `${boardPath}/*` : undefined),
    }),
  );

  mountBullBoard(app, { config, producer: context.producer, logger, isRedisReady });

  const routes = new RouteTable(app, config.API_HANDLER_TIMEOUT_MS);
  const auth = requireApiKey(config.API_KEYS);
  const openApiDocument = JSON.stringify(buildOpenApiDocument());

  registerOpsRoutes(routes, new OpsEndpoints({ registry, readiness: { redis: () => pingRedis(redis) } }));
  routes.add('get', '/openapi.json', (_request, response) => {
    response.type('application/json').send(openApiDocument);
  });
  registerJobRoutes(routes, context, auth);
  registerEventRoutes(routes, context, auth);
  registerScheduleRoutes(routes, context, auth);
  registerTournamentRoutes(routes, context, auth);
  registerMapRoutes(routes, context, auth);
  registerImageRoutes(routes, context, auth);
  routes.addMethodNotAllowed();

  app.use(() => {
    throw new HttpError(404, 'not_found', 'No resource exists at this path');
  });
  app.use(problemMiddleware({ isRedisReady }));
  return app;
}

/**
 * Starts the api: connects to Redis (failing when it is not reachable within
 * ten seconds), prepares every queue, and listens on `API_PORT`.
 */
export async function startApi(config: ApiConfig, deps: ApiDeps): Promise<ApiHandle> {
  checkApiConfig(config);
  const logger = deps.logger;
  const registry = deps.registry ?? createMetricsRegistry('api');

  const redis = createRedisConnection(config.REDIS_URL, 'producer', { name: 'api' });
  watchConnection(redis, logger);
  try {
    await waitForRedisReady(redis);
  } catch (error) {
    redis.disconnect();
    throw error;
  }

  const producer = new JobProducer(redis, { prefix: config.BULLMQ_PREFIX, metrics: registry });
  try {
    // Queues created while Redis is up fail fast later instead of waiting for a connection (see watchQueue).
    await Promise.all(queueNames.map((name) => watchQueue(producer, name, logger)));
  } catch (error) {
    await producer.close().catch(() => undefined);
    redis.disconnect();
    throw error;
  }

  const context: ApiContext = {
    config,
    logger,
    redis,
    producer,
    publisher: new EventPublisher(redis, registry, { streamMaxLength: config.EVENTS_STREAM_MAX_LENGTH }),
    cache: new CacheAside(redis, { ttlSeconds: config.CACHE_TTL_SECONDS }),
    tournaments: new TournamentStore(redis),
    maps: new MapStore(redis),
    media: new FileSystemMediaStore(config.MEDIA_DIR),
    idempotency: new IdempotencyStore(redis, config.API_IDEMPOTENCY_TTL_SECONDS),
  };
  const app = createApp(context, registry);

  const server = await listen(app, config.API_PORT);
  const port = (server.address() as AddressInfo).port;
  logger.info('Api listening', { port });

  return {
    port,
    app,
    registry,
    stop: async () => {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await producer.close();
      await closeRedis(redis);
    },
  };
}

async function listen(app: Express, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, (error?: Error) => {
      if (error !== undefined) {
        reject(error);
        return;
      }
      resolve(server);
    });
    server.keepAliveTimeout = 5_000;
  });
}

/** Logs the start and the end of a Redis outage once each, not every reconnection attempt. */
function watchConnection(redis: Redis, logger: Logger): void {
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) {
      down = true;
      logger.warn('Redis connection lost; requests answer 503 until it returns', { error: error.message });
    }
  });
  redis.on('ready', () => {
    if (down) {
      down = false;
      logger.info('Redis connection restored');
    }
  });
}

/**
 * Creates a queue and waits until it is usable. A BullMQ 6 queue created
 * while its connection is down waits for the connection before its first
 * command, which would hang requests. One created while Redis is up fails
 * fast with the producer connection instead. Queue errors repeat the
 * connection's, which `watchConnection` already logs, so they go to debug.
 */
async function watchQueue(producer: JobProducer, name: (typeof queueNames)[number], logger: Logger): Promise<void> {
  const queue = producer.queue(name);
  queue.on('error', (error: Error) => logger.debug('Queue reported an error', { queue: name, error: error.message }));
  await queue.waitUntilReady();
}
