import { ChannelNames } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { startTestGateway, TestClient, type TestGateway } from './support/gateway';

const timestamp = '2026-12-04T18:00:00.000Z';

describe('realtime fan-out across instances', () => {
  let redis: RedisTestServer;
  let first: TestGateway;
  let second: TestGateway;
  let connection: Redis;
  let publisher: EventPublisher;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    [first, second] = await Promise.all([startTestGateway(redis.url()), startTestGateway(redis.url())]);
    connection = createRedisConnection(redis.url(), 'worker');
    publisher = new EventPublisher(connection);
  });

  afterAll(async () => {
    await Promise.all([first.handle.stop(), second.handle.stop()]);
    connection.disconnect();
    await redis.cleanup();
  });

  it('delivers one event to a client on each instance', async () => {
    const onFirst = await TestClient.connect(first.url);
    const onSecond = await TestClient.connect(second.url);
    await onFirst.subscribe(ChannelNames.mapUpdated);
    await onSecond.subscribe('map:shared');

    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'shared', changes: ['status'], timestamp });

    const [a, b] = await Promise.all([onFirst.next(), onSecond.next()]);
    expect(a.id).toBeDefined();
    expect(b.id).toBe(a.id);
    onFirst.close();
    onSecond.close();
  });

  it('delivers every event to every local client in publish order', async () => {
    const clients = await Promise.all(
      Array.from({ length: 100 }, (_, index) => TestClient.connect(index % 2 === 0 ? first.url : second.url)),
    );
    await Promise.all(clients.map((client) => client.subscribe(ChannelNames.mapCompleted)));
    const expected = Array.from({ length: 50 }, (_, index) => `m${index}`);

    await Promise.all(
      expected.map((mapId) =>
        publisher.publish(ChannelNames.mapCompleted, { mapId, tournamentId: null, result: null, timestamp }),
      ),
    );

    await Promise.all(clients.map((client) => client.next((message) => message.payload?.mapId === 'm49')));
    for (const client of clients) {
      expect(client.events().map((event) => event.payload?.mapId)).toEqual(expected);
    }
    for (const client of clients) {
      client.close();
    }
  });
});
