import { RedisTestServer } from '@backbone/redis-harness';

import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src/cache-invalidator';
import { captureLogger, testConfig } from './helpers';

describe('cache-invalidator ops endpoints', () => {
  let server: RedisTestServer;
  let invalidator: CacheInvalidatorHandle;
  let base: string;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    invalidator = await startCacheInvalidator(testConfig(server), { logger: captureLogger().logger });
    base = `http://127.0.0.1:${invalidator.opsPort}`;
  });

  afterAll(async () => {
    await invalidator.stop();
    await server.cleanup();
  });

  it('healthz returns ok', async () => {
    const response = await fetch(`${base}/healthz`);

    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ok' });
  });

  it('readyz checks Redis and the subscription', async () => {
    const response = await fetch(`${base}/readyz`);

    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ready', checks: { redis: true, subscribed: true } });
  });

  it.each([
    'events_received_total',
    'events_malformed_total',
    'cache_entries_deleted_total',
    'cache_generation_bumps_total',
    'cache_invalidation_delay_seconds',
  ])('metrics describe %s', async (name) => {
    const body = await (await fetch(`${base}/metrics`)).text();

    expect(body).toContain(`# TYPE ${name} `);
  });

  it('metrics count the bumps of the start', async () => {
    const body = await (await fetch(`${base}/metrics`)).text();

    expect(body).toContain(
      'cache_generation_bumps_total{namespace="maps",reason="resubscribed",service="cache-invalidator"} 1',
    );
  });
});
