import { ChannelNames } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { eventually, startTestGateway, TestClient, type TestGateway } from './support/gateway';

const timestamp = '2026-12-04T18:00:00.000Z';

async function readiness(gateway: TestGateway): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${gateway.handle.port}/readyz`);
  return response.status;
}

describe('realtime across a Redis restart', () => {
  let redis: RedisTestServer;
  let gateway: TestGateway;
  let connection: Redis;
  let publisher: EventPublisher;

  beforeAll(async () => {
    redis = await RedisTestServer.start({ appendOnly: true });
    gateway = await startTestGateway(redis.url());
    connection = createRedisConnection(redis.url(), 'worker');
    publisher = new EventPublisher(connection);
  });

  afterAll(async () => {
    await gateway.handle.stop();
    connection.disconnect();
    await redis.cleanup();
  });

  it('reports not ready while Redis is down and delivers again after it restarts', async () => {
    const client = await TestClient.connect(gateway.url);
    await client.subscribe(ChannelNames.mapUpdated);
    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'before', changes: ['name'], timestamp });
    await client.next((message) => message.payload?.mapId === 'before');

    await redis.stop();
    await eventually(async () => (await readiness(gateway)) === 503, 15_000);
    await redis.restart();
    await eventually(async () => (await readiness(gateway)) === 200, 15_000);
    await eventually(() => connection.status === 'ready', 15_000);
    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'after', changes: ['name'], timestamp });

    const event = await client.next((message) => message.type === 'event', 15_000);
    expect(event.payload?.mapId).toBe('after');
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    client.close();
  });

  it('answers a resume during an outage with replay_unavailable', async () => {
    const client = await TestClient.connect(gateway.url);
    await redis.stop();

    client.send({
      type: 'subscribe',
      topic: ChannelNames.mapCompleted,
      lastEventIds: { [ChannelNames.mapCompleted]: '1-0' },
    });
    const error = await client.next((message) => message.type === 'error', 15_000);
    const ack = await client.next((message) => message.type === 'subscribed', 15_000);
    await redis.restart();
    await eventually(async () => (await readiness(gateway)) === 200, 15_000);
    await eventually(() => connection.status === 'ready', 15_000);
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'live', tournamentId: null, result: null, timestamp });

    expect(error.code).toBe('replay_unavailable');
    expect(ack.type).toBe('subscribed');
    expect((await client.next((message) => message.type === 'event', 15_000)).payload?.mapId).toBe('live');
    client.close();
  });

  it('delivers after a restart that lost the streams', async () => {
    const client = await TestClient.connect(gateway.url);
    await client.subscribe(ChannelNames.tournamentActivated);

    await redis.restart({ appendOnly: false });
    await redis.client().flushall();
    await eventually(async () => (await readiness(gateway)) === 200, 15_000);
    await eventually(() => connection.status === 'ready', 15_000);
    await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 'fresh', timestamp });

    const event = await client.next((message) => message.type === 'event', 15_000);
    expect(event.payload?.tournamentId).toBe('fresh');
    client.close();
  });
});
