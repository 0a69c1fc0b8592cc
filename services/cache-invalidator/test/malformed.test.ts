import { type CacheEntryRef, CacheNamespaces, ChannelNames } from '@backbone/contracts';
import type { CacheAside } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src/cache-invalidator';
import { channelFamilyPatterns } from '../src/subscribers/undeclared-channels';
import {
  apiCache,
  captureLogger,
  eventually,
  isCached,
  type LogRecord,
  metricTotal,
  metricValue,
  readThrough,
  testConfig,
} from './helpers';

const maps = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.maps, id });

const junkCases = [
  {
    name: 'invalid JSON',
    channel: ChannelNames.mapCompleted,
    message: '{"mapId":"map-junk",',
    reason: 'invalid_json',
    label: ChannelNames.mapCompleted,
  },
  {
    name: 'a payload that breaks the schema',
    channel: ChannelNames.mapUpdated,
    message: JSON.stringify({ mapId: 'map-junk', changes: [], timestamp: 'yesterday' }),
    reason: 'invalid_payload',
    label: ChannelNames.mapUpdated,
  },
  {
    name: 'an undeclared channel',
    channel: 'map:deleted',
    message: JSON.stringify({ mapId: 'map-junk', timestamp: new Date().toISOString() }),
    reason: 'unknown_channel',
    label: 'unknown',
  },
];

describe('cache-invalidator malformed messages', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let cache: CacheAside;
  let records: LogRecord[];
  let invalidator: CacheInvalidatorHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    cache = apiCache(redis);
    const captured = captureLogger();
    records = captured.records;
    invalidator = await startCacheInvalidator(testConfig(server), { logger: captured.logger });
  });

  afterAll(async () => {
    await invalidator.stop();
    await server.cleanup();
  });

  it.each(junkCases)('skips $name, logs and counts it', async ({ channel, message, reason, label }) => {
    await readThrough(cache, maps('map-junk'), 'old');
    await readThrough(cache, maps('map-valid'), 'old');
    const malformedBefore = await metricValue(invalidator.registry, 'events_malformed_total', {
      channel: label,
      reason,
    });
    const deletedBefore = await metricTotal(invalidator.registry, 'cache_entries_deleted_total');

    await redis.publish(channel, message);
    await redis.publish(
      ChannelNames.mapUpdated,
      JSON.stringify({ mapId: 'map-valid', changes: ['name'], timestamp: new Date().toISOString() }),
    );
    await eventually(async () => !(await isCached(redis, maps('map-valid'))));

    const logged = records.find(
      (record) =>
        record.message === 'Malformed event skipped' && record.channel === channel && record.reason === reason,
    );
    expect(logged).toMatchObject({ level: 'warn', channel, reason, detail: expect.any(String) });
    expect(await metricValue(invalidator.registry, 'events_malformed_total', { channel: label, reason })).toBe(
      malformedBefore + 1,
    );
    expect(await isCached(redis, maps('map-junk'))).toBe(true);
    expect(await metricTotal(invalidator.registry, 'cache_entries_deleted_total')).toBe(deletedBefore + 1);
    expect(invalidator.isReady()).toBe(true);
  });

  it('keeps the whole payload out of the log', async () => {
    const secret = 'player-password-hunter2';
    await redis.publish(ChannelNames.mapCompleted, JSON.stringify({ mapId: 'map-junk', note: secret }));

    await eventually(() =>
      records.some((record) => record.reason === 'invalid_payload' && record.channel === 'map:completed'),
    );

    expect(JSON.stringify(records)).not.toContain(secret);
  });

  it('watches one pattern per channel family', () => {
    expect(channelFamilyPatterns().sort()).toEqual(['map:*', 'tournament:*']);
  });

  it('escapes glob characters in family names', () => {
    expect(channelFamilyPatterns(['odd*family:created', 'plain'])).toEqual(['odd\\*family:*']);
  });
});
