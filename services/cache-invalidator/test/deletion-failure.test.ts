import { type CacheEntryRef, CacheNamespaces, ChannelNames, cacheGenerationKey } from '@backbone/contracts';
import type { CacheAside } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src/cache-invalidator';
import { apiCache, captureLogger, eventually, type LogRecord, metricValue, readThrough, testConfig } from './helpers';

const maps = (id: string): CacheEntryRef => ({ namespace: CacheNamespaces.maps, id });

describe('cache-invalidator when deletion fails', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let cache: CacheAside;
  let records: LogRecord[];
  let invalidator: CacheInvalidatorHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    cache = apiCache(redis);
    // A user that may do everything but UNLINK, so the deletion script fails while INCR still works.
    await redis.acl('SETUSER', 'no-unlink', 'on', '>secret-password', '~*', '&*', '+@all', '-unlink');
    const captured = captureLogger();
    records = captured.records;
    const url = server.url().replace('redis://', 'redis://no-unlink:secret-password@');
    invalidator = await startCacheInvalidator(testConfig(server, { REDIS_URL: url }), { logger: captured.logger });
  });

  afterAll(async () => {
    await invalidator.stop();
    await server.cleanup();
  });

  it('bumps the namespaces of the failed entries instead', async () => {
    await readThrough(cache, maps('map-a'), 'old');
    const generationBefore = Number(await redis.get(cacheGenerationKey(CacheNamespaces.maps)));

    await redis.publish(
      ChannelNames.mapUpdated,
      JSON.stringify({ mapId: 'map-a', changes: ['name'], timestamp: new Date().toISOString() }),
    );
    await eventually(
      async () =>
        (await metricValue(invalidator.registry, 'cache_generation_bumps_total', {
          namespace: CacheNamespaces.maps,
          reason: 'invalidation_failed',
        })) === 1,
    );
    const reread = await readThrough(cache, maps('map-a'), 'new');

    expect(Number(await redis.get(cacheGenerationKey(CacheNamespaces.maps)))).toBe(generationBefore + 1);
    expect(reread).toEqual({ value: 'new', hit: false });
    expect(
      records.find(
        (record) => record.message === 'Deleting stale cache entries failed; bumping their namespaces instead',
      ),
    ).toMatchObject({ level: 'error', channel: ChannelNames.mapUpdated, namespaces: [CacheNamespaces.maps] });
    expect(JSON.stringify(records)).not.toContain('secret-password');
  });
});
