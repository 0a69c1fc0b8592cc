import {
  allTournamentsListId,
  type CacheEntryRef,
  CacheNamespaces,
  type ChannelName,
  ChannelNames,
  type EventInput,
  MapStatuses,
  TournamentStatuses,
} from '@backbone/contracts';
import { MapStore } from '@backbone/game-store';
import { type CacheAside, createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src/cache-invalidator';
import {
  apiCache,
  captureLogger,
  eventually,
  histogramSum,
  isCached,
  metricValue,
  readThrough,
  testConfig,
} from './helpers';

const maps = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.maps, id });
const tournaments = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.tournaments, id });
const lists = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.tournamentLists, id });

interface RuleCase<C extends ChannelName> {
  channel: C;
  event: () => EventInput<C>;
  stale: CacheEntryRef[];
  untouched: CacheEntryRef[];
}

const now = () => new Date().toISOString();

const ruleCases: RuleCase<ChannelName>[] = [
  {
    channel: ChannelNames.mapCompleted,
    event: () => ({ mapId: 'map-a', tournamentId: null, result: { winner: 'red' }, timestamp: now() }),
    stale: [maps('map-a')],
    untouched: [maps('map-b'), tournaments('map-a')],
  },
  {
    channel: ChannelNames.mapUpdated,
    event: () => ({ mapId: 'map-c', changes: ['image'], timestamp: now() }),
    stale: [maps('map-c')],
    untouched: [maps('map-d')],
  },
  {
    channel: ChannelNames.tournamentCreated,
    event: () => ({ tournamentId: 'tour-a', startsAt: '2027-01-01T10:00:00.000Z', timestamp: now() }),
    stale: [lists(TournamentStatuses.scheduled), lists(allTournamentsListId)],
    untouched: [lists(TournamentStatuses.active), lists(TournamentStatuses.finished), tournaments('tour-a')],
  },
  {
    channel: ChannelNames.tournamentActivated,
    event: () => ({ tournamentId: 'tour-b', timestamp: now() }),
    stale: [
      tournaments('tour-b'),
      lists(TournamentStatuses.scheduled),
      lists(TournamentStatuses.active),
      lists(allTournamentsListId),
    ],
    untouched: [tournaments('tour-c'), lists(TournamentStatuses.finished)],
  },
] as RuleCase<ChannelName>[];

describe('cache-invalidator invalidation', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let cache: CacheAside;
  let publisherConnection: Redis;
  let publisher: EventPublisher;
  let invalidator: CacheInvalidatorHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    cache = apiCache(redis);
    publisherConnection = createRedisConnection(server.url(), 'worker');
    publisher = new EventPublisher(publisherConnection);
    invalidator = await startCacheInvalidator(testConfig(server), { logger: captureLogger().logger });
  });

  afterAll(async () => {
    await invalidator.stop();
    publisherConnection.disconnect();
    await server.cleanup();
  });

  /** Publishes `event` and resolves once the invalidator has finished handling it. */
  async function publishAndWait(channel: ChannelName, event: unknown): Promise<void> {
    const labels = { channel };
    const handledBefore = await metricValue(invalidator.registry, 'cache_invalidation_delay_seconds', labels);
    await publisher.publishUnchecked(channel, event);
    await eventually(
      async () =>
        (await metricValue(invalidator.registry, 'cache_invalidation_delay_seconds', labels)) !== handledBefore ||
        undefined,
    );
  }

  it.each(ruleCases.map((ruleCase) => [ruleCase.channel, ruleCase] as const))(
    '%s deletes exactly the entries of its rule',
    async (channel, ruleCase) => {
      for (const ref of [...ruleCase.stale, ...ruleCase.untouched]) {
        await readThrough(cache, ref, 'old');
      }

      await publishAndWait(channel, ruleCase.event());

      for (const ref of ruleCase.stale) {
        expect({ ...ref, cached: await isCached(redis, ref) }).toEqual({ ...ref, cached: false });
      }
      for (const ref of ruleCase.untouched) {
        expect({ ...ref, cached: await isCached(redis, ref) }).toEqual({ ...ref, cached: true });
      }
    },
  );

  it('next read after map:completed shows the completed map', async () => {
    const store = new MapStore(redis);
    const map = await store.create({ name: 'Harbor' });
    const load = () => store.get(map.id);
    const first = await cache.get(maps(map.id), load);
    await store.complete(map.id, { winner: 'blue' });
    const beforeEvent = await cache.get(maps(map.id), load);

    await publishAndWait(ChannelNames.mapCompleted, {
      mapId: map.id,
      tournamentId: null,
      result: { winner: 'blue' },
      timestamp: now(),
    });
    const afterEvent = await cache.get(maps(map.id), load);

    expect(first.value?.status).toBe(MapStatuses.pending);
    expect(beforeEvent).toMatchObject({ hit: true, value: { status: MapStatuses.pending } });
    expect(afterEvent).toMatchObject({
      hit: false,
      value: { status: MapStatuses.completed, result: { winner: 'blue' } },
    });
  });

  it('deletes with UNLINK and never KEYS, SCAN or DEL', async () => {
    await readThrough(cache, maps('map-stats'), 'old');
    await redis.config('RESETSTAT');

    await publishAndWait(ChannelNames.mapUpdated, { mapId: 'map-stats', changes: ['name'], timestamp: now() });
    const stats = await redis.info('commandstats');

    expect(stats).toContain('cmdstat_unlink:calls=1,');
    expect(stats).not.toMatch(/cmdstat_(keys|scan|del):/);
  });

  it('counts received events and deleted entries per channel', async () => {
    const labels = { channel: ChannelNames.tournamentActivated };
    const receivedBefore = await metricValue(invalidator.registry, 'events_received_total', labels);
    const deletedBefore = await metricValue(invalidator.registry, 'cache_entries_deleted_total', labels);
    await readThrough(cache, tournaments('tour-count'), 'old');
    await readThrough(cache, lists(TournamentStatuses.active), 'old');

    await publishAndWait(ChannelNames.tournamentActivated, { tournamentId: 'tour-count', timestamp: now() });

    expect(await metricValue(invalidator.registry, 'events_received_total', labels)).toBe(receivedBefore + 1);
    expect(await metricValue(invalidator.registry, 'cache_entries_deleted_total', labels)).toBe(deletedBefore + 2);
  });

  it('measures the delay from the event timestamp', async () => {
    const labels = { channel: ChannelNames.mapUpdated };
    const publishedAt = new Date(Date.now() - 3_000).toISOString();
    const sumBefore = await histogramSum(invalidator.registry, 'cache_invalidation_delay_seconds', labels);

    await publishAndWait(ChannelNames.mapUpdated, { mapId: 'map-late', changes: ['status'], timestamp: publishedAt });
    const added = (await histogramSum(invalidator.registry, 'cache_invalidation_delay_seconds', labels)) - sumBefore;

    expect(added).toBeGreaterThanOrEqual(3);
    expect(added).toBeLessThan(30);
  });
});
