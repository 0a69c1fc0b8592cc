import { channelNames } from '@backbone/contracts';
import {
  CacheAside,
  closeRedis,
  createMetricsRegistry,
  createRedisConnection,
  EventSubscriber,
  type Lifecycle,
  type Logger,
  OpsServer,
  pingRedis,
  type Registry,
  startWithLifecycle,
} from '@backbone/platform';
import type { Redis } from 'ioredis';

import type { CacheInvalidatorConfig } from './config';
import { GapRepair } from './gap-repair';
import { createInvalidatorMetrics } from './metrics';
import { ownedNamespaces } from './owned-namespaces';
import { invalidateStaleEntries } from './subscribers/invalidate-stale-entries';
import { channelFamilyPatterns } from './subscribers/undeclared-channels';

export const SERVICE_NAME = 'cache-invalidator';

/**
 * The invalidator only deletes entries and bumps generations, so the TTL that
 * CacheAside applies to the entries it writes is never used here.
 */
const UNUSED_TTL_SECONDS = 1;

export interface CacheInvalidatorDeps {
  logger: Logger;
  /** Registry for `/metrics`; a new one with Node's default metrics when absent. */
  registry?: Registry;
  /** Lifecycle to register components with, such as the one `runService` passes; a private one when absent. */
  lifecycle?: Lifecycle;
}

export interface CacheInvalidatorHandle {
  /** Port the ops server listens on, useful when `OPS_PORT` is 0. */
  opsPort: number;
  registry: Registry;
  /** Whether the subscription is live and the owned generations were bumped after it became live. */
  isReady(): boolean;
  /** Resolves once `isReady()` holds, for example after a reconnect. */
  whenReady(): Promise<void>;
  /** Stops every component in reverse start order. Resolves `true` when all stopped cleanly in time. */
  stop(): Promise<boolean>;
}

/**
 * Starts the cache-invalidator: a dedicated subscriber connection receives
 * every channel of the contracts, and a second connection deletes the stale
 * entries and bumps generations. Resolves once the first subscription is
 * live and the owned generations have been bumped after it. While Redis is
 * unreachable it keeps waiting, and `/healthz` already responds.
 */
export async function startCacheInvalidator(
  config: CacheInvalidatorConfig,
  deps: CacheInvalidatorDeps,
): Promise<CacheInvalidatorHandle> {
  const logger = deps.logger;
  const registry = deps.registry ?? createMetricsRegistry(SERVICE_NAME);
  const metrics = createInvalidatorMetrics(registry);

  return startWithLifecycle(
    deps.lifecycle,
    { logger, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS },
    async (lifecycle) => {
      const commands = openConnection(config, 'worker', 'commands', logger);
      lifecycle.add('commands connection', () => closeRedis(commands));
      const subscriberConnection = openConnection(config, 'subscriber', 'subscriber', logger);
      lifecycle.add('subscriber connection', () => closeRedis(subscriberConnection));

      const cache = new CacheAside(commands, { ttlSeconds: UNUSED_TTL_SECONDS });
      const subscriber = new EventSubscriber(subscriberConnection, {
        logger,
        metrics: registry,
        patterns: channelFamilyPatterns(),
      });
      for (const channel of channelNames) {
        subscriber.handle(channel, invalidateStaleEntries(channel, { cache, metrics, logger }));
      }
      const gapRepair = new GapRepair(subscriber, {
        cache,
        namespaces: ownedNamespaces,
        metrics,
        logger,
        retryDelayMs: config.CACHE_INVALIDATOR_RETRY_DELAY_MS,
      });
      lifecycle.add('gap repair', () => gapRepair.stop());

      const ops = new OpsServer({
        port: config.OPS_PORT,
        logger,
        registry,
        readiness: {
          redis: () => pingRedis(commands),
          subscribed: () => gapRepair.isRepaired(),
        },
      });
      const opsPort = await ops.start();
      lifecycle.add('ops server', () => ops.stop());

      await subscriber.start();
      lifecycle.add('subscriber', () => subscriber.stop());

      await gapRepair.whenRepaired();

      return {
        opsPort,
        registry,
        isReady: () => gapRepair.isRepaired(),
        whenReady: () => gapRepair.whenRepaired(),
        stop: () => lifecycle.stop('stop requested'),
      };
    },
  );
}

/** Opens a connection and logs its errors once per outage rather than on every reconnection attempt. */
function openConnection(
  config: CacheInvalidatorConfig,
  role: 'worker' | 'subscriber',
  purpose: string,
  logger: Logger,
): Redis {
  const connection = createRedisConnection(config.REDIS_URL, role, { name: `${SERVICE_NAME}:${purpose}` });
  let reported = false;
  connection.on('error', (error: Error) => {
    if (!reported) {
      reported = true;
      logger.warn('Redis connection failed; reconnecting', { connection: purpose, error: error.message });
    }
  });
  connection.on('ready', () => {
    if (reported) {
      reported = false;
      logger.info('Redis connection restored', { connection: purpose });
    }
  });
  return connection;
}
