import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import type { SchedulerConfig } from '../src/config';
import { ReconcileLock } from '../src/reconcile-lock';
import { type SchedulerHandle, startScheduler } from '../src/scheduler';
import { countSchedulerKeys, quietDeps, schedulerConfig, sleep } from './helpers';

describe('scheduler replicas and restarts', () => {
  let server: RedisTestServer;
  let redis: Redis;
  const handles: SchedulerHandle[] = [];

  async function start(config: SchedulerConfig): Promise<SchedulerHandle> {
    const handle = await startScheduler(config, quietDeps());
    handles.push(handle);
    return handle;
  }

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
  });

  afterEach(async () => {
    for (const handle of handles.splice(0)) {
      await handle.stop();
    }
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('ten restarts keep one scheduler', async () => {
    const config = schedulerConfig(server.url());

    for (let restart = 0; restart < 10; restart += 1) {
      const handle = await startScheduler(config, quietDeps());
      await handle.stop();
    }

    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
  });

  it('four replicas starting together', async () => {
    const config = schedulerConfig(server.url());

    await Promise.all([start(config), start(config), start(config), start(config)]);

    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
  });

  it('four concurrent reconciles on a fresh Redis', async () => {
    const config = schedulerConfig(server.url());
    const replicas = await Promise.all([start(config), start(config), start(config), start(config)]);
    await redis.flushall();

    const reports = await Promise.all(replicas.map((replica) => replica.reconcileNow()));

    const outcomes = reports.map((report) => report.schedules[0]?.outcome).sort();
    expect(outcomes).toEqual(['created', 'unchanged', 'unchanged', 'unchanged']);
    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
  });

  it('replica starting beside a running one', async () => {
    // Both replicas reconcile every 20 ms while the second one starts and stops.
    // Each sample reads all three keys in one MULTI, so it shows one instant.
    const config = schedulerConfig(server.url(), { SCHEDULER_RECONCILE_INTERVAL_MS: '20' });
    await start(config);
    const samples: number[][] = [];
    let sampling = true;
    const sampler = (async () => {
      const base = `${config.BULLMQ_PREFIX}:scheduler`;
      while (sampling) {
        const replies = await redis
          .multi()
          .zcard(`${base}:repeat`)
          .zcard(`${base}:delayed`)
          .llen(`${base}:wait`)
          .exec();
        samples.push((replies ?? []).map(([, value]) => Number(value)));
        await sleep(5);
      }
    })();

    const second = await startScheduler(config, quietDeps());
    await sleep(500);
    await second.stop();
    await sleep(200);
    sampling = false;
    await sampler;

    expect(samples.length).toBeGreaterThan(10);
    expect(samples.filter(([schedulers]) => schedulers !== 1)).toEqual([]);
    expect(samples.filter(([, delayed, waiting]) => Number(delayed) + Number(waiting) !== 1)).toEqual([]);
  });
});

describe('reconcile lock', () => {
  let server: RedisTestServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('held lock rejects a second holder', async () => {
    const lock = new ReconcileLock(redis, { key: 'lock-a', ttlMs: 10_000 });

    const first = await lock.tryAcquire();
    const second = await lock.tryAcquire();

    expect(first).toEqual(expect.any(String));
    expect(second).toBeUndefined();
  });

  it('release with another token keeps the lock', async () => {
    const lock = new ReconcileLock(redis, { key: 'lock-b', ttlMs: 10_000 });
    const token = await lock.tryAcquire();

    expect(await lock.release('someone-else')).toBe(false);
    expect(await redis.get('lock-b')).toBe(token);
  });

  it('release frees the lock for the next holder', async () => {
    const lock = new ReconcileLock(redis, { key: 'lock-c', ttlMs: 10_000 });
    const token = await lock.tryAcquire();

    expect(await lock.release(String(token))).toBe(true);
    expect(await lock.tryAcquire()).toEqual(expect.any(String));
  });

  it('expired lock goes to a waiting holder', async () => {
    const lock = new ReconcileLock(redis, { key: 'lock-d', ttlMs: 200 });
    await lock.tryAcquire();

    const token = await lock.acquire(2_000);

    expect(token).toEqual(expect.any(String));
  });

  it('acquire gives up after its wait', async () => {
    const lock = new ReconcileLock(redis, { key: 'lock-e', ttlMs: 10_000 });
    await lock.tryAcquire();

    expect(await lock.acquire(300)).toBeUndefined();
  });
});
