import { CacheNamespaces, cacheEntryKey } from '@backbone/contracts';
import { CacheAside } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

describe('CacheAside', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let cache: CacheAside;
  const map = { namespace: CacheNamespaces.maps, id: 'm1' };

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    cache = new CacheAside(redis, { ttlSeconds: 60 });
  });

  beforeEach(async () => {
    await redis.flushdb();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('loads on a miss and serves the cached value after', async () => {
    const load = jest.fn(async () => ({ status: 'pending' }));

    const first = await cache.get(map, load);
    const second = await cache.get(map, load);

    expect(first).toEqual({ value: { status: 'pending' }, hit: false });
    expect(second).toEqual({ value: { status: 'pending' }, hit: true });
    expect(load).toHaveBeenCalledTimes(1);
    await expect(redis.ttl(cacheEntryKey('maps', 0, 'm1'))).resolves.toBeGreaterThan(50);
  });

  it('does not cache a missing value', async () => {
    await cache.get(map, async () => undefined);

    await expect(redis.dbsize()).resolves.toBe(0);
  });

  it('invalidate deletes the entry under the current generation', async () => {
    await cache.bumpGenerations([CacheNamespaces.maps]);
    await cache.get(map, async () => ({ status: 'pending' }));

    const deleted = await cache.invalidate([map, { namespace: CacheNamespaces.maps, id: 'absent' }]);

    expect(deleted).toBe(1);
    await expect(redis.exists(cacheEntryKey('maps', 1, 'm1'))).resolves.toBe(0);
    const reread = await cache.get(map, async () => ({ status: 'completed' }));
    expect(reread).toEqual({ value: { status: 'completed' }, hit: false });
  });

  it('a generation bump hides every older entry', async () => {
    await cache.get(map, async () => ({ status: 'pending' }));

    await cache.bumpGenerations([CacheNamespaces.maps, CacheNamespaces.tournaments]);

    const reread = await cache.get(map, async () => ({ status: 'completed' }));
    expect(reread).toEqual({ value: { status: 'completed' }, hit: false });
    await expect(redis.get('cache:tournaments:generation')).resolves.toBe('1');
  });

  it('bumpGenerations throws when Redis rejects an increment', async () => {
    await redis.set('cache:tournaments:generation', 'not a number');

    const bump = cache.bumpGenerations([CacheNamespaces.maps, CacheNamespaces.tournaments]);

    await expect(bump).rejects.toThrow('not an integer');
  });
});
