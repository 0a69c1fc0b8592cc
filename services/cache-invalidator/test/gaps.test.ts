import {
  type CacheEntryRef,
  CacheNamespaces,
  ChannelNames,
  cacheGenerationKey,
  channelNames,
  ImageVariants,
  MapStatuses,
  staleEntries,
} from '@backbone/contracts';
import { type MapImage, MapStore } from '@backbone/game-store';
import { type CacheAside, createRedisConnection, EventPublisher, Lifecycle } from '@backbone/platform';
import { findFreePort, RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src/cache-invalidator';
import { ownedNamespaces } from '../src/owned-namespaces';
import { apiCache, captureLogger, eventually, metricValue, testConfig } from './helpers';

const maps = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.maps, id });
const now = () => new Date().toISOString();

const image: MapImage = {
  sourceKey: 'uploads/harbor.png',
  width: 2048,
  height: 1024,
  format: 'png',
  variants: {
    [ImageVariants.thumbnail.name]: {
      key: 'maps/harbor/thumbnail.webp',
      width: 256,
      height: 128,
      contentType: 'image/webp',
      bytes: 9_000,
    },
    [ImageVariants.large.name]: {
      key: 'maps/harbor/large.webp',
      width: 1024,
      height: 512,
      contentType: 'image/webp',
      bytes: 80_000,
    },
  },
  processedAt: '2026-12-04T18:00:00.000Z',
};

describe('cache-invalidator gaps', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let cache: CacheAside;
  let store: MapStore;
  let publisherConnection: Redis;
  let publisher: EventPublisher;
  let running: CacheInvalidatorHandle[];

  beforeAll(async () => {
    server = await RedisTestServer.start({ appendOnly: true });
    redis = server.client();
    cache = apiCache(redis);
    store = new MapStore(redis);
    publisherConnection = createRedisConnection(server.url(), 'worker');
    publisher = new EventPublisher(publisherConnection);
  });

  beforeEach(() => {
    running = [];
  });

  afterEach(async () => {
    for (const handle of running) {
      await handle.stop();
    }
  });

  afterAll(async () => {
    publisherConnection.disconnect();
    await server.cleanup();
  });

  async function start(env: Record<string, string> = {}): Promise<CacheInvalidatorHandle> {
    const handle = await startCacheInvalidator(testConfig(server, env), { logger: captureLogger().logger });
    running.push(handle);
    return handle;
  }

  it('serves fresh data after an event missed while stopped', async () => {
    const map = await store.create({ name: 'Harbor' });
    const load = () => store.get(map.id);
    const first = await start();
    await cache.get(maps(map.id), load);
    await first.stop();

    await store.complete(map.id, { winner: 'red' });
    const receivers = await publisher.publish(ChannelNames.mapCompleted, {
      mapId: map.id,
      tournamentId: null,
      result: { winner: 'red' },
      timestamp: now(),
    });
    const whileAway = await cache.get(maps(map.id), load);
    await start();
    const afterRestart = await cache.get(maps(map.id), load);

    expect(receivers).toBe(0);
    expect(whileAway).toMatchObject({ hit: true, value: { status: MapStatuses.pending } });
    expect(afterRestart).toMatchObject({ hit: false, value: { status: MapStatuses.completed } });
  });

  it('bumps every owned generation once per start', async () => {
    const before = await Promise.all(
      ownedNamespaces.map(async (ns) => Number(await redis.get(cacheGenerationKey(ns)))),
    );

    const handle = await start();
    const after = await Promise.all(ownedNamespaces.map(async (ns) => Number(await redis.get(cacheGenerationKey(ns)))));

    expect(after).toEqual(before.map((generation) => generation + 1));
    for (const namespace of ownedNamespaces) {
      const bumps = await metricValue(handle.registry, 'cache_generation_bumps_total', {
        namespace,
        reason: 'resubscribed',
      });
      expect({ namespace, bumps }).toEqual({ namespace, bumps: 1 });
    }
  });

  it('bumps only after the subscription is live', async () => {
    const monitor = await server.client().monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      commands.push(String(args[0]).toLowerCase());
    });

    await start();
    monitor.disconnect();

    const subscribedAt = commands.indexOf('psubscribe');
    const firstBumpAt = commands.indexOf('incr');
    expect(subscribedAt).toBeGreaterThanOrEqual(0);
    expect(firstBumpAt).toBeGreaterThan(subscribedAt);
  });

  it('owns exactly the namespaces the cache rules name', () => {
    const samples = {
      [ChannelNames.mapCompleted]: { mapId: 'm', tournamentId: null, result: null, timestamp: now() },
      [ChannelNames.mapUpdated]: { mapId: 'm', changes: ['image' as const], timestamp: now() },
      [ChannelNames.tournamentCreated]: { tournamentId: 't', startsAt: now(), timestamp: now() },
      [ChannelNames.tournamentActivated]: { tournamentId: 't', timestamp: now() },
    };

    const named = new Set(
      channelNames.flatMap((channel) => staleEntries(channel, samples[channel]).map((e) => e.namespace)),
    );

    expect([...named].sort()).toEqual([...ownedNamespaces].sort());
  });

  it('survives a Redis restart and keeps invalidating', async () => {
    const handle = await start();
    const readyz = `http://127.0.0.1:${handle.opsPort}/readyz`;
    const map = await store.create({ name: 'Canyon' });
    const load = () => store.get(map.id);
    await cache.get(maps(map.id), load);
    const bumpsBefore = await metricValue(handle.registry, 'cache_generation_bumps_total', {
      namespace: CacheNamespaces.maps,
      reason: 'resubscribed',
    });

    await server.stop();
    const down = await eventually(async () => {
      const response = await fetch(readyz);
      return response.status === 503 ? response : undefined;
    });
    await server.restart();
    await handle.whenReady();
    const up = await eventually(async () => {
      const response = await fetch(readyz);
      return response.status === 200 ? response : undefined;
    });

    await expect(down.json()).resolves.toEqual({ status: 'not_ready', checks: { redis: false, subscribed: false } });
    await expect(up.json()).resolves.toEqual({ status: 'ready', checks: { redis: true, subscribed: true } });
    expect(
      await metricValue(handle.registry, 'cache_generation_bumps_total', {
        namespace: CacheNamespaces.maps,
        reason: 'resubscribed',
      }),
    ).toBe(bumpsBefore + 1);

    // An entry cached before the outage is hidden by the bump, even for a change that no event announced.
    await store.complete(map.id, null);
    const afterOutage = await cache.get(maps(map.id), load);
    expect(afterOutage).toMatchObject({ hit: false, value: { status: MapStatuses.completed } });

    // Events published after the restart still delete what they name.
    await store.setImage(map.id, image);
    await publisher.publish(ChannelNames.mapUpdated, { mapId: map.id, changes: ['image'], timestamp: now() });
    await eventually(async () => {
      const deleted = await metricValue(handle.registry, 'cache_entries_deleted_total', {
        channel: ChannelNames.mapUpdated,
      });
      return deleted === 1;
    });
    const afterEvent = await cache.get(maps(map.id), load);
    expect(afterEvent).toMatchObject({ hit: false, value: { image: { sourceKey: image.sourceKey } } });
  });

  it('waits for Redis at start', async () => {
    const opsPort = await findFreePort();
    const base = `http://127.0.0.1:${opsPort}`;
    await server.stop();

    const starting = startCacheInvalidator(testConfig(server, { OPS_PORT: String(opsPort) }), {
      logger: captureLogger().logger,
    });
    const health = await eventually(() => fetch(`${base}/healthz`).catch(() => undefined));
    const readyWhileDown = await fetch(`${base}/readyz`);
    await server.restart();
    running.push(await starting);
    const readyAfter = await fetch(`${base}/readyz`);

    expect(health.status).toBe(200);
    expect(readyWhileDown.status).toBe(503);
    expect(readyAfter.status).toBe(200);
  });

  it('start rejects when stopped before Redis comes back', async () => {
    const opsPort = await findFreePort();
    const lifecycle = new Lifecycle({ logger: captureLogger().logger, shutdownTimeoutMs: 5_000 });
    await server.stop();

    const outcome = startCacheInvalidator(testConfig(server, { OPS_PORT: String(opsPort) }), {
      logger: captureLogger().logger,
      lifecycle,
    }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    await eventually(() => fetch(`http://127.0.0.1:${opsPort}/healthz`).catch(() => undefined));
    const stopped = await lifecycle.stop('test');
    await server.restart();

    await expect(outcome).resolves.toBe('Connection is closed.');
    expect(stopped).toBe(true);
  });

  it('retries a failed bump and reports ready only after it', async () => {
    await redis.set(cacheGenerationKey(CacheNamespaces.maps), 'not a number');
    const opsPort = await findFreePort();
    const { logger, records } = captureLogger();

    const starting = startCacheInvalidator(testConfig(server, { OPS_PORT: String(opsPort) }), { logger });
    await eventually(
      () => records.filter((record) => record.message === 'Bumping cache generations failed; retrying').length >= 2,
    );
    const whileFailing = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    await redis.del(cacheGenerationKey(CacheNamespaces.maps));
    running.push(await starting);
    const afterFix = await fetch(`http://127.0.0.1:${opsPort}/readyz`);

    await expect(whileFailing.json()).resolves.toEqual({
      status: 'not_ready',
      checks: { redis: true, subscribed: false },
    });
    expect(afterFix.status).toBe(200);
    await expect(redis.get(cacheGenerationKey(CacheNamespaces.maps))).resolves.toBe('1');
  });
});
