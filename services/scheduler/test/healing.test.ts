import { QueueNames, ScheduleIds } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import type { SchedulerConfig } from '../src/config';
import { type SchedulerHandle, startScheduler } from '../src/scheduler';
import { countSchedulerKeys, quietDeps, schedulerConfig, waitFor } from './helpers';

const everySecond = {
  SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { pattern: '* * * * * *' } }),
};

describe('scheduler self-healing', () => {
  let server: RedisTestServer;
  let redis: Redis;
  const closers: (() => Promise<unknown>)[] = [];

  async function start(config: SchedulerConfig): Promise<SchedulerHandle> {
    const handle = await startScheduler(config, quietDeps());
    closers.push(() => handle.stop());
    return handle;
  }

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('FLUSHALL then reconcile restores the scheduler', async () => {
    const config = schedulerConfig(server.url());
    const handle = await start(config);
    await redis.flushall();

    const report = await handle.reconcileNow();

    expect(report.schedules[0]?.outcome).toBe('created');
    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
  });

  it('lost scheduler keys keep the same run', async () => {
    const config = schedulerConfig(server.url());
    const handle = await start(config);
    const base = `${config.BULLMQ_PREFIX}:${QueueNames.scheduler}`;
    const runsBefore = await redis.zrange(`${base}:delayed`, 0, -1);
    await redis.del(`${base}:repeat`, `${base}:repeat:${ScheduleIds.activateTournaments}`);

    const report = await handle.reconcileNow();

    expect(report.schedules[0]?.outcome).toBe('created');
    expect(await redis.zrange(`${base}:delayed`, 0, -1)).toEqual(runsBefore);
    expect((await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).schedulers).toBe(1);
  });

  it('lost pending run is restored', async () => {
    const config = schedulerConfig(server.url());
    const handle = await start(config);
    const base = `${config.BULLMQ_PREFIX}:${QueueNames.scheduler}`;
    const [runId] = await redis.zrange(`${base}:delayed`, 0, -1);
    // BullMQ rejects removing a scheduler's current run, so the test deletes its keys instead.
    await redis.zrem(`${base}:delayed`, String(runId));
    await redis.del(`${base}:${runId}`);

    const report = await handle.reconcileNow();

    expect(report.schedules[0]?.outcome).toBe('restored');
    expect((await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).pending).toBe(1);
  });

  it('FLUSHALL during runs fires none twice', async () => {
    const config = schedulerConfig(server.url(), everySecond);
    const handle = await start(config);
    const processed: string[] = [];
    const worker = new Worker(
      QueueNames.scheduler,
      async (job: Job) => {
        processed.push(String(job.id));
      },
      { connection: server.client(), prefix: config.BULLMQ_PREFIX },
    );
    closers.push(() => worker.close());
    expect(await waitFor(() => processed.length >= 2, 8_000)).toBe(true);

    await redis.flushall();
    await handle.reconcileNow();
    const processedBeforeFlush = processed.length;
    expect(await waitFor(() => processed.length >= processedBeforeFlush + 2, 8_000)).toBe(true);
    await worker.close();

    expect(new Set(processed).size).toBe(processed.length);
    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
  });
});

describe('periodic reconcile', () => {
  let server: RedisTestServer;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('restores a flushed scheduler by itself', async () => {
    const config = schedulerConfig(server.url(), { SCHEDULER_RECONCILE_INTERVAL_MS: '100' });
    const handle = await startScheduler(config, quietDeps());
    const redis = server.client();
    await redis.flushall();

    const restored = await waitFor(
      async () => (await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).schedulers === 1,
      5_000,
    );
    await handle.stop();

    expect(restored).toBe(true);
    expect((await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).pending).toBe(1);
  });

  it('restores schedulers after a Redis crash', async () => {
    const config = schedulerConfig(server.url(), { SCHEDULER_RECONCILE_INTERVAL_MS: '100' });
    const handle = await startScheduler(config, quietDeps());

    // Without persistence a killed server comes back empty, as after data loss.
    await server.kill();
    await server.restart();
    const redis = server.client();
    const restored = await waitFor(
      async () => (await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).schedulers === 1,
      10_000,
    );
    await handle.stop();

    expect(restored).toBe(true);
    expect((await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).pending).toBe(1);
  });
});
