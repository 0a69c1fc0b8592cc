import { ChannelNames } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { eventually, metricValue, startTestGateway, TestClient, type TestGateway } from './support/gateway';

const timestamp = '2026-12-04T18:00:00.000Z';

describe('realtime limits', () => {
  let redis: RedisTestServer;
  let connection: Redis;
  let publisher: EventPublisher;
  const gateways: TestGateway[] = [];

  const start = async (env: Record<string, string>): Promise<TestGateway> => {
    const gateway = await startTestGateway(redis.url(), env);
    gateways.push(gateway);
    return gateway;
  };

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    connection = createRedisConnection(redis.url(), 'worker');
    publisher = new EventPublisher(connection);
  });

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.handle.stop()));
    connection.disconnect();
    await redis.cleanup();
  });

  it('closes connections over the limit with 1013', async () => {
    const gateway = await start({ REALTIME_MAX_CONNECTIONS: '2' });
    const admitted = [await TestClient.connect(gateway.url), await TestClient.connect(gateway.url)];

    const extra = await TestClient.connect(gateway.url);

    const { code, reason } = await extra.closed;
    expect(code).toBe(1013);
    expect(reason).toBe('Connection limit of 2 reached; retry later');
    expect(await metricValue(gateway.registry, 'realtime_connections')).toBe(2);
    expect(await metricValue(gateway.registry, 'realtime_connections_closed_total{reason="connection_limit"}')).toBe(1);
    for (const client of admitted) {
      client.close();
    }
  });

  it('rejects a subscription over the limit', async () => {
    const gateway = await start({ REALTIME_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const client = await TestClient.connect(gateway.url);
    await client.subscribe(ChannelNames.mapCompleted);
    await client.subscribe(ChannelNames.mapUpdated);

    const reply = await client.subscribe('map:m1');

    expect(reply.type).toBe('error');
    expect(reply.code).toBe('subscription_limit');
    expect(await metricValue(gateway.registry, 'realtime_subscriptions')).toBe(2);
    client.close();
  });

  it('closes a connection that sends an oversized message with 1009', async () => {
    const gateway = await start({ REALTIME_MAX_MESSAGE_BYTES: '256' });
    const client = await TestClient.connect(gateway.url);

    client.send({ type: 'subscribe', topic: `map:${'x'.repeat(64)}`, padding: 'y'.repeat(400) });

    const { code } = await client.closed;
    expect(code).toBe(1009);
    expect(await metricValue(gateway.registry, 'realtime_subscriptions')).toBe(0);
    await eventually(
      async () =>
        (await metricValue(gateway.registry, 'realtime_connections_closed_total{reason="message_too_big"}')) === 1,
    );
  });

  it('cuts off a slow client with 4408 and keeps serving others', async () => {
    const gateway = await start({ REALTIME_MAX_BUFFERED_BYTES: '65536' });
    const slow = await TestClient.connect(gateway.url);
    const fast = await TestClient.connect(gateway.url);
    await slow.subscribe(ChannelNames.mapCompleted);
    await fast.subscribe(ChannelNames.mapCompleted);
    slow.socket.pause();

    // About 40 KB per event; the loopback socket buffers take a few MB before the gateway's own buffer grows.
    const result = { log: 'r'.repeat(40_000) };
    let published = 0;
    while ((await metricValue(gateway.registry, 'realtime_connections_closed_total{reason="slow_client"}')) === 0) {
      await publisher.publish(ChannelNames.mapCompleted, {
        mapId: `m${published}`,
        tournamentId: null,
        result,
        timestamp,
      });
      published += 1;
      if (published > 2_000) {
        throw new Error('the slow client was never cut off');
      }
    }
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'last', tournamentId: null, result, timestamp });
    await fast.next((message) => message.payload?.mapId === 'last', 20_000);
    slow.socket.resume();

    const { code, reason } = await slow.closed;
    expect(code).toBe(4408);
    expect(reason).toBe('Client too slow: more than 65536 bytes unread');
    expect(fast.events()).toHaveLength(published + 1);
    expect(
      await metricValue(
        gateway.registry,
        'realtime_events_dropped_total{channel="map:completed",reason="slow_client"}',
      ),
    ).toBeGreaterThan(0);
    fast.close();
  });

  it('drops a connection that stops answering pings', async () => {
    const gateway = await start({ REALTIME_HEARTBEAT_INTERVAL_MS: '200' });
    const silent = await TestClient.connect(gateway.url);
    const healthy = await TestClient.connect(gateway.url);
    silent.socket.pause();

    await eventually(
      async () =>
        (await metricValue(gateway.registry, 'realtime_connections_closed_total{reason="heartbeat_timeout"}')) === 1,
    );
    silent.socket.resume();

    const { code } = await silent.closed;
    expect(code).toBe(1006);
    expect(await metricValue(gateway.registry, 'realtime_connections')).toBe(1);
    expect(healthy.socket.readyState).toBe(healthy.socket.OPEN);
    healthy.close();
  });
});
