import { JobNames, QueueNames, ScheduleIds } from '@backbone/contracts';
import { createMetricsRegistry } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import type { SchedulerConfig } from '../src/config';
import { type SchedulerHandle, startScheduler } from '../src/scheduler';
import { nextRunTimes } from '../src/schedules/cron';
import { capturingLogger, countSchedulerKeys, quietDeps, schedulerConfig, sleep, waitFor } from './helpers';

const overrides = (override: Record<string, string>): Record<string, string> => ({
  SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: override }),
});

describe('scheduler reconcile', () => {
  let server: RedisTestServer;
  let redis: Redis;
  const handles: SchedulerHandle[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  async function start(config: SchedulerConfig, deps = quietDeps()): Promise<SchedulerHandle> {
    const handle = await startScheduler(config, deps);
    handles.push(handle);
    return handle;
  }

  function openQueue(config: SchedulerConfig, name: string = QueueNames.scheduler): Queue {
    const queue = new Queue(name, {
      connection: server.client({ maxRetriesPerRequest: null }),
      prefix: config.BULLMQ_PREFIX,
    });
    closers.push(() => queue.close());
    return queue;
  }

  /** Id of the one delayed run of `activate-tournaments`. */
  async function delayedRunIds(config: SchedulerConfig): Promise<string[]> {
    return redis.zrange(`${config.BULLMQ_PREFIX}:${QueueNames.scheduler}:delayed`, 0, -1);
  }

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
  });

  afterEach(async () => {
    for (const handle of handles.splice(0)) {
      await handle.stop();
    }
    for (const close of closers.splice(0)) {
      await close();
    }
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('first start creates one scheduler', async () => {
    const config = schedulerConfig(server.url());
    const { logger, entries } = capturingLogger();
    const before = Date.now();

    const handle = await start(config, {
      logger,
      registry: createMetricsRegistry('scheduler', { defaultMetrics: false }),
    });
    const report = await handle.reconcileNow();

    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
    const created = entries().find((entry) => entry.message === 'Schedule created');
    const expectedNext = nextRunTimes('0 * * * *', 'UTC', new Date(before))[0]?.toISOString();
    expect(created).toMatchObject({ scheduleId: ScheduleIds.activateTournaments, nextRunAt: expectedNext });
    expect(report.schedules[0]?.outcome).toBe('unchanged');
  });

  it('restart keeps the same pending run', async () => {
    const config = schedulerConfig(server.url());
    const first = await start(config);
    const runsBefore = await delayedRunIds(config);
    await first.stop();

    const { logger, entries } = capturingLogger();
    await start(config, { logger, registry: createMetricsRegistry('scheduler', { defaultMetrics: false }) });

    expect(await delayedRunIds(config)).toEqual(runsBefore);
    expect(entries().find((entry) => entry.message === 'Schedule unchanged')).toMatchObject({
      scheduleId: ScheduleIds.activateTournaments,
      level: 'info',
      nextRunAt: expect.any(String),
    });
  });

  it('unchanged reconcile writes nothing', async () => {
    const config = schedulerConfig(server.url());
    const registry = createMetricsRegistry('scheduler', { defaultMetrics: false });
    const handle = await start(config, { logger: capturingLogger().logger, registry });
    const jobCounterBefore = await redis.get(`${config.BULLMQ_PREFIX}:${QueueNames.scheduler}:id`);

    await handle.reconcileNow();
    await handle.reconcileNow();

    expect(await redis.get(`${config.BULLMQ_PREFIX}:${QueueNames.scheduler}:id`)).toBe(jobCounterBefore);
    const changes = await registry.getSingleMetricAsString('scheduler_schedule_changes_total');
    expect(changes).toContain('scheduler_schedule_changes_total{outcome="created",service="scheduler"} 1');
  });

  it('changed pattern replaces the pending run', async () => {
    const hourly = schedulerConfig(server.url());
    await (await start(hourly)).stop();
    const [oldRunId] = await delayedRunIds(hourly);
    const queue = openQueue(hourly);

    const everyTwoSeconds = { ...hourly, ...schedulerConfig(server.url(), overrides({ pattern: '*/2 * * * * *' })) };
    everyTwoSeconds.BULLMQ_PREFIX = hourly.BULLMQ_PREFIX;
    const changedAt = Date.now();
    const { logger, entries } = capturingLogger();
    await start(everyTwoSeconds, { logger, registry: createMetricsRegistry('scheduler', { defaultMetrics: false }) });

    expect(await queue.getJobState(String(oldRunId))).toBe('unknown');
    const counts = await countSchedulerKeys(redis, hourly.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
    expect(entries().find((entry) => entry.message === 'Schedule changed')).toMatchObject({
      changes: ['pattern'],
      pattern: '*/2 * * * * *',
      previousPattern: '0 * * * *',
    });

    const processed: string[] = [];
    const worker = new Worker(
      QueueNames.scheduler,
      async (job: Job) => {
        processed.push(String(job.id));
      },
      { connection: server.client(), prefix: hourly.BULLMQ_PREFIX },
    );
    closers.push(() => worker.close());
    expect(await waitFor(() => processed.length >= 2, 8_000)).toBe(true);
    await worker.close();

    const runTimes = processed.map((id) => Number(id.split(':').pop()));
    for (const runAt of runTimes) {
      expect(runAt % 2_000).toBe(0);
      expect(runAt).toBeGreaterThanOrEqual(changedAt - 2_000);
    }
    expect(processed).not.toContain(oldRunId);
  });

  it('changed time zone replaces the pending run', async () => {
    const utc = schedulerConfig(server.url());
    await (await start(utc)).stop();
    const [oldRunId] = await delayedRunIds(utc);

    const kolkata = { ...utc, ...schedulerConfig(server.url(), overrides({ timeZone: 'Asia/Kolkata' })) };
    kolkata.BULLMQ_PREFIX = utc.BULLMQ_PREFIX;
    const report = await (await start(kolkata)).reconcileNow();

    const [newRunId] = await delayedRunIds(utc);
    expect(newRunId).not.toBe(oldRunId);
    // Kolkata is UTC+05:30 all year, so its full hours fall at half past in UTC.
    expect(new Date(Number(newRunId?.split(':').pop())).getUTCMinutes()).toBe(30);
    expect(report.schedules[0]?.nextRunAtMs).toBe(Number(newRunId?.split(':').pop()));
    expect((await countSchedulerKeys(redis, utc.BULLMQ_PREFIX)).pending).toBe(1);
  });

  it('removes an undeclared scheduler and its delayed run', async () => {
    const config = schedulerConfig(server.url());
    const queue = openQueue(config);
    const retired = await queue.upsertJobScheduler(
      'retired-report',
      { pattern: '0 0 * * *', tz: 'UTC' },
      { name: JobNames.activateTournaments },
    );

    const handle = await start(config);
    const report = await handle.reconcileNow();

    expect(await queue.getJobScheduler('retired-report')).toBeUndefined();
    expect(await queue.getJobState(String(retired?.id))).toBe('unknown');
    expect(report.removed).toEqual([]);
    expect((await countSchedulerKeys(redis, config.BULLMQ_PREFIX)).pending).toBe(1);
  });

  it('removes an undeclared scheduler and its waiting run', async () => {
    const config = schedulerConfig(server.url());
    const queue = openQueue(config);
    const run = await queue.upsertJobScheduler(
      'retired-fast',
      { pattern: '0 0 * * *', tz: 'UTC' },
      { name: 'retired-fast' },
    );
    // A worker moves a due run from delayed to wait; promoting it does the same now.
    await run?.promote();
    expect((await queue.getJobCounts('wait')).wait).toBe(1);
    const { logger, entries } = capturingLogger();

    await start(config, { logger, registry: createMetricsRegistry('scheduler', { defaultMetrics: false }) });

    expect(await queue.getJobScheduler('retired-fast')).toBeUndefined();
    expect((await queue.getJobCounts('wait')).wait).toBe(0);
    expect(entries().find((entry) => entry.message === 'Schedule removed')).toMatchObject({
      scheduleId: 'retired-fast',
      removedRuns: 1,
    });
    const counts = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(counts.schedulers).toBe(1);
    expect(counts.pending).toBe(1);
  });

  it('leaves schedulers of undeclared queues alone', async () => {
    const config = schedulerConfig(server.url());
    const foreign = openQueue(config, 'legacy-reports');
    await foreign.upsertJobScheduler('nightly', { pattern: '0 0 * * *', tz: 'UTC' }, { name: 'nightly' });

    await start(config);
    await sleep(10);

    expect(await foreign.getJobScheduler('nightly')).toMatchObject({ key: 'nightly', pattern: '0 0 * * *' });
  });
});
