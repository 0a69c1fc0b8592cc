import { createServer } from 'node:net';

import { createMetricsRegistry } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { ReconcileLockBusyError } from '../src/reconciler';
import { type SchedulerHandle, startScheduler } from '../src/scheduler';
import { quietDeps, schedulerConfig, waitFor } from './helpers';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

function metricValue(body: string, series: string): number {
  const line = body.split('\n').find((candidate) => candidate.startsWith(series));
  return Number(line?.slice(line.lastIndexOf(' ') + 1));
}

describe('scheduler ops endpoints', () => {
  let server: RedisTestServer;
  let redis: Redis;
  const handles: SchedulerHandle[] = [];

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

  it('healthz and readyz after start', async () => {
    const handle = await startScheduler(schedulerConfig(server.url()), quietDeps());
    handles.push(handle);

    const health = await get(handle.opsPort, '/healthz');
    const ready = await get(handle.opsPort, '/readyz');

    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { redis: true, firstReconcile: true } });
  });

  it('metrics report schedules and last reconcile', async () => {
    const startedAt = Date.now() / 1_000;
    const deps = { ...quietDeps(), registry: createMetricsRegistry('scheduler', { defaultMetrics: false }) };
    const handle = await startScheduler(schedulerConfig(server.url()), deps);
    handles.push(handle);

    const { status, body } = await get(handle.opsPort, '/metrics');

    expect(status).toBe(200);
    expect(metricValue(body, 'scheduler_schedules_declared{')).toBe(1);
    expect(metricValue(body, 'scheduler_last_reconcile_success_timestamp_seconds{')).toBeGreaterThanOrEqual(
      Math.floor(startedAt),
    );
    expect(metricValue(body, 'scheduler_schedule_changes_total{outcome="created"')).toBe(1);
    expect(
      metricValue(body, 'scheduler_schedule_next_run_timestamp_seconds{schedule="activate-tournaments"'),
    ).toBeGreaterThan(startedAt);
  });

  it('readyz waits for the first reconcile', async () => {
    const config = schedulerConfig(server.url(), { OPS_PORT: String(await freePort()) });
    const lockKey = `${config.BULLMQ_PREFIX}:scheduler-service:reconcile-lock`;
    await redis.set(lockKey, 'other-replica', 'PX', 60_000);

    const starting = startScheduler(config, quietDeps());
    let readyBody: { checks?: Record<string, boolean> } = {};
    const blocked = await waitFor(async () => {
      try {
        const response = await get(config.OPS_PORT, '/readyz');
        readyBody = JSON.parse(response.body) as typeof readyBody;
        return response.status === 503 && readyBody.checks?.redis === true;
      } catch {
        return false;
      }
    }, 5_000);
    await redis.del(lockKey);
    const handle = await starting;
    handles.push(handle);

    expect(blocked).toBe(true);
    expect(readyBody.checks).toEqual({ redis: true, firstReconcile: false });
    expect((await get(handle.opsPort, '/readyz')).status).toBe(200);
  });

  it('start fails while the lock stays busy', async () => {
    const config = schedulerConfig(server.url(), { SCHEDULER_LOCK_TTL_MS: '300' });
    await redis.set(`${config.BULLMQ_PREFIX}:scheduler-service:reconcile-lock`, 'other-replica', 'PX', 60_000);

    await expect(startScheduler(config, quietDeps())).rejects.toThrow(ReconcileLockBusyError);
  });
});

describe('scheduler readiness without Redis', () => {
  let server: RedisTestServer;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('readyz fails while Redis is down', async () => {
    const handle = await startScheduler(schedulerConfig(server.url()), quietDeps());

    await server.stop();
    const down = await get(handle.opsPort, '/readyz');
    await server.restart();
    const back = await waitFor(async () => (await get(handle.opsPort, '/readyz')).status === 200, 10_000);
    await handle.stop();

    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ checks: { redis: false, firstReconcile: true } });
    expect(back).toBe(true);
  });

  it('stop finishes while Redis is down', async () => {
    const handle = await startScheduler(
      schedulerConfig(server.url(), { SCHEDULER_RECONCILE_INTERVAL_MS: '50' }),
      quietDeps(),
    );
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));

    const startedAt = Date.now();
    await handle.stop();
    await server.restart();

    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
