import { ChannelNames } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';
import { WebSocket } from 'ws';

import { metricValue, startTestGateway, TestClient, type TestGateway } from './support/gateway';

const timestamp = '2026-12-04T18:00:00.000Z';

describe('realtime operations', () => {
  let redis: RedisTestServer;
  let gateway: TestGateway;
  let connection: Redis;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    gateway = await startTestGateway(redis.url());
    connection = createRedisConnection(redis.url(), 'worker');
  });

  afterAll(async () => {
    await gateway.handle.stop();
    connection.disconnect();
    await redis.cleanup();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${gateway.handle.port}${path}`);

  it('answers health and readiness on the WebSocket port', async () => {
    const health = await get('/healthz');
    const ready = await get('/readyz');

    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: true, events: true, accepting: true } });
  });

  it('exports connection, subscription, delivery and latency metrics', async () => {
    const client = await TestClient.connect(gateway.url);
    await client.subscribe(ChannelNames.tournamentActivated);
    await new EventPublisher(connection).publish(ChannelNames.tournamentActivated, { tournamentId: 't1', timestamp });
    await client.next((message) => message.type === 'event');

    const text = await (await get('/metrics')).text();

    expect(await metricValue(gateway.registry, 'realtime_connections')).toBe(1);
    expect(await metricValue(gateway.registry, 'realtime_subscriptions')).toBe(1);
    expect(await metricValue(gateway.registry, 'realtime_events_delivered_total{channel="tournament:activated"}')).toBe(
      1,
    );
    expect(await metricValue(gateway.registry, 'realtime_delivery_latency_seconds_count')).toBe(1);
    expect(text).toContain('realtime_events_dropped_total');
    client.close();
  });

  it('refuses an upgrade on another path with 404', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.handle.port}/v1/other`);

    const status = await new Promise<number | undefined>((resolve) => {
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.on('error', () => resolve(undefined));
    });
    expect(status).toBe(404);
  });
});

describe('realtime shutdown', () => {
  let redis: RedisTestServer;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });

  afterAll(async () => {
    await redis.cleanup();
  });

  it('closes every client with 1012 and stops cleanly', async () => {
    const gateway = await startTestGateway(redis.url());
    const clients = await Promise.all(Array.from({ length: 20 }, () => TestClient.connect(gateway.url)));
    await Promise.all(clients.map((client) => client.subscribe(ChannelNames.mapCompleted)));

    const clean = await gateway.handle.stop();

    const closes = await Promise.all(clients.map((client) => client.closed));
    expect(clean).toBe(true);
    expect(new Set(closes.map((close) => close.code))).toEqual(new Set([1012]));
    expect(closes[0]?.reason).toBe('Service restarting; reconnect');
    expect(await metricValue(gateway.registry, 'realtime_connections_closed_total{reason="shutdown"}')).toBe(20);
  });
});
