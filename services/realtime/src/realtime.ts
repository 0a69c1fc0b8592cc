import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  closeRedis,
  createMetricsRegistry,
  createRedisConnection,
  type Lifecycle,
  type Logger,
  OpsEndpoints,
  pingRedis,
  type Registry,
  type ServiceConfig,
  startWithLifecycle,
  waitForRedisReady,
} from '@backbone/platform';

import { TokenVerifier } from './auth';
import type { RealtimeConfigShape } from './config';
import { EventFeed } from './event-feed';
import { Gateway } from './gateway';
import { createRealtimeMetrics } from './metrics';
import { SubscriptionManager } from './subscriptions';

export type RealtimeConfig = ServiceConfig<RealtimeConfigShape>;

export interface RealtimeDeps {
  logger: Logger;
  /** Registry served on `/metrics`; a new one by default. */
  metrics?: Registry;
  /** Lifecycle that stops what the gateway started; `runService` passes its own, tests get one made here. */
  lifecycle?: Lifecycle;
  /** Interface to listen on; every interface by default. */
  host?: string;
}

export interface RealtimeHandle {
  /** Port of `/v1/realtime`, `/healthz`, `/readyz` and `/metrics`. */
  port: number;
  metrics: Registry;
  /** Closes every client with 1012, then the server and Redis, within `SHUTDOWN_TIMEOUT_MS`. Resolves true when clean. */
  stop(): Promise<boolean>;
}

/** Maximum wait for Redis during start-up before the start fails. */
const REDIS_START_TIMEOUT_MS = 30_000;
const REPLAY_BATCH_SIZE = 500;

/**
 * Starts the gateway: one Redis connection that reads the event streams, one
 * for replays and readiness, and an HTTP server that serves the WebSocket
 * endpoint and the ops endpoints on `REALTIME_PORT`.
 */
export async function startRealtime(config: RealtimeConfig, deps: RealtimeDeps): Promise<RealtimeHandle> {
  const logger = deps.logger;
  const metrics = deps.metrics ?? createMetricsRegistry('realtime');

  return startWithLifecycle(deps.lifecycle, { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS }, (lifecycle) =>
    startComponents(config, deps, lifecycle, metrics),
  );
}

async function startComponents(
  config: RealtimeConfig,
  deps: RealtimeDeps,
  lifecycle: Lifecycle,
  registry: Registry,
): Promise<RealtimeHandle> {
  const logger = deps.logger;
  const metrics = createRealtimeMetrics(registry);

  // Replays wait for Redis like a subscriber would, but a replay that cannot
  // be read fails the subscribe with `replay_unavailable` rather than hang.
  const commands = createRedisConnection(config.REDIS_URL, 'subscriber', {
    name: 'realtime-commands',
    overrides: { maxRetriesPerRequest: 2 },
  });
  lifecycle.add('redis commands', () => closeRedis(commands));
  const feedConnection = createRedisConnection(config.REDIS_URL, 'subscriber', { name: 'realtime-feed' });
  lifecycle.add('redis feed', () => closeRedis(feedConnection));
  await Promise.all([
    waitForRedisReady(commands, REDIS_START_TIMEOUT_MS),
    waitForRedisReady(feedConnection, REDIS_START_TIMEOUT_MS),
  ]);

  let subscriptions: SubscriptionManager | undefined;
  const feed = new EventFeed({
    connection: feedConnection,
    logger,
    onEvents: (events) => subscriptions?.fanOut(events),
  });
  subscriptions = new SubscriptionManager({
    commands,
    position: (channel) => feed.position(channel),
    maxSubscriptionsPerConnection: config.REALTIME_MAX_SUBSCRIPTIONS_PER_CONNECTION,
    replayPauseBytes: Math.floor(config.REALTIME_MAX_BUFFERED_BYTES / 2),
    replayBatchSize: REPLAY_BATCH_SIZE,
    metrics,
    logger,
  });
  await feed.start();
  lifecycle.add('event feed', () => feed.stop());

  const gateway = new Gateway({
    tokens: new TokenVerifier(config.REALTIME_TOKENS),
    subscriptions,
    metrics,
    logger,
    maxConnections: config.REALTIME_MAX_CONNECTIONS,
    maxMessageBytes: config.REALTIME_MAX_MESSAGE_BYTES,
    maxBufferedBytes: config.REALTIME_MAX_BUFFERED_BYTES,
    heartbeatIntervalMs: config.REALTIME_HEARTBEAT_INTERVAL_MS,
  });

  let stopping = false;
  const ops = new OpsEndpoints({
    registry,
    readiness: {
      redis: () => pingRedis(commands),
      events: () => feed.isLive(),
      accepting: () => !stopping,
    },
  });

  const http = createServer((request, response) => {
    void respond(ops, request, response, logger);
  });
  http.keepAliveTimeout = 5_000;
  gateway.attach(http);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.REALTIME_PORT, deps.host ?? '0.0.0.0', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  lifecycle.add('http server', async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  lifecycle.add('websocket clients', (deadline) => {
    stopping = true;
    return gateway.stop(deadline);
  });
  logger.info('Realtime gateway listening', { port });

  return { port, metrics: registry, stop: () => lifecycle.stop('stop requested') };
}

async function respond(
  ops: OpsEndpoints,
  request: IncomingMessage,
  response: ServerResponse,
  logger: Logger,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  try {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    const result = await ops.handle(path);
    if (result === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      return;
    }
    response.writeHead(result.status, { 'content-type': result.contentType }).end(result.body);
  } catch (error) {
    logger.error('Ops request failed', { path, error });
    response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error\n');
  }
}
