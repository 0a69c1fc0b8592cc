import { type CacheEntryRef, CacheNamespaces, ChannelNames, TournamentStatuses } from '@backbone/contracts';
import { TournamentStore } from '@backbone/game-store';
import { type CacheAside, createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src/cache-invalidator';
import { apiCache, captureLogger, eventually, metricValue, testConfig } from './helpers';

const list = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.tournamentLists, id });

describe('cache-invalidator replicas', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let cache: CacheAside;
  let publisherConnection: Redis;
  let publisher: EventPublisher;
  let replicas: CacheInvalidatorHandle[];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    cache = apiCache(redis);
    publisherConnection = createRedisConnection(server.url(), 'worker');
    publisher = new EventPublisher(publisherConnection);
    replicas = await Promise.all(
      [1, 2].map(() => startCacheInvalidator(testConfig(server), { logger: captureLogger().logger })),
    );
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    publisherConnection.disconnect();
    await server.cleanup();
  });

  it('every replica handles every event and the result is the same', async () => {
    const store = new TournamentStore(redis);
    const load = () => store.list(TournamentStatuses.scheduled);
    const before = await cache.get(list(TournamentStatuses.scheduled), load);
    const tournament = await store.create({ name: 'Winter Cup', startsAt: '2027-01-10T18:00:00.000Z' });

    await publisher.publish(ChannelNames.tournamentCreated, {
      tournamentId: tournament.id,
      startsAt: tournament.startsAt,
      timestamp: new Date().toISOString(),
    });
    const handledBy = await Promise.all(
      replicas.map((replica) =>
        eventually(async () =>
          (await metricValue(replica.registry, 'cache_invalidation_delay_seconds', {
            channel: ChannelNames.tournamentCreated,
          })) === 1
            ? replica
            : undefined,
        ),
      ),
    );
    const after = await cache.get(list(TournamentStatuses.scheduled), load);

    expect(handledBy).toHaveLength(2);
    expect(before.value).toEqual([]);
    expect(after).toMatchObject({ hit: false, value: [{ id: tournament.id }] });
    const deleted = await Promise.all(
      replicas.map((replica) =>
        metricValue(replica.registry, 'cache_entries_deleted_total', { channel: ChannelNames.tournamentCreated }),
      ),
    );
    // One replica unlinked the entry; the other found it gone, which is not an error.
    expect(deleted.reduce((sum, count) => sum + count, 0)).toBe(1);
    for (const replica of replicas) {
      expect(
        await metricValue(replica.registry, 'event_handler_errors_total', { channel: ChannelNames.tournamentCreated }),
      ).toBe(0);
    }
  });

  it('each replica bumps on its own start without harm', async () => {
    const generation = await redis.get('cache:tournament-lists:generation');

    expect(generation).toBe('2');
    expect(replicas.every((replica) => replica.isReady())).toBe(true);
  });
});
