import { ChannelNames, eventStreamKey } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { metricValue, startTestGateway, TestClient, type TestGateway } from './support/gateway';

const timestamp = '2026-12-04T18:00:00.000Z';

async function lastEventId(connection: Redis, stream: string): Promise<string> {
  const [last] = await connection.xrevrange(stream, '+', '-', 'COUNT', 1);
  if (last === undefined) {
    throw new Error(`stream ${stream} is empty`);
  }
  return last[0];
}

describe('realtime replay', () => {
  let redis: RedisTestServer;
  let gateway: TestGateway;
  let connection: Redis;
  let publisher: EventPublisher;

  const publishMap = (mapId: string) =>
    publisher.publish(ChannelNames.mapUpdated, { mapId, changes: ['name'], timestamp });

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    gateway = await startTestGateway(redis.url());
    connection = createRedisConnection(redis.url(), 'worker');
    publisher = new EventPublisher(connection, undefined, { streamMaxLength: 1_000 });
  });

  afterAll(async () => {
    await gateway.handle.stop();
    connection.disconnect();
    await redis.cleanup();
  });

  it('replays missed events in order before live ones', async () => {
    const before = await TestClient.connect(gateway.url);
    await before.subscribe(ChannelNames.mapUpdated);
    await publishMap('seen');
    const seen = await before.next((message) => message.type === 'event');
    before.close();

    for (const mapId of ['missed-1', 'missed-2', 'missed-3']) {
      await publishMap(mapId);
    }
    const after = await TestClient.connect(gateway.url);
    const ack = await after.subscribe(ChannelNames.mapUpdated, { [ChannelNames.mapUpdated]: seen.id! });
    await publishMap('live');
    await after.next((message) => message.payload?.mapId === 'live');

    expect(ack.replayed).toBe(3);
    expect(after.messages.map((message) => message.payload?.mapId ?? message.type)).toEqual([
      'missed-1',
      'missed-2',
      'missed-3',
      'subscribed',
      'live',
    ]);
    after.close();
  });

  it('replays only the events of an entity topic', async () => {
    const before = await TestClient.connect(gateway.url);
    await before.subscribe('map:e1');
    await publishMap('e1');
    const seen = await before.next((message) => message.type === 'event');
    before.close();

    await publishMap('e2');
    await publishMap('e1');
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'e1', tournamentId: null, result: null, timestamp });
    const after = await TestClient.connect(gateway.url);
    const ack = await after.subscribe('map:e1', { [ChannelNames.mapUpdated]: seen.id! });

    expect(ack.replayed).toBe(1);
    expect(after.events().map((event) => [event.channel, event.payload?.mapId])).toEqual([
      [ChannelNames.mapUpdated, 'e1'],
    ]);
    after.close();
  });

  it('keeps live events during a long replay behind it', async () => {
    const first = await TestClient.connect(gateway.url);
    await first.subscribe(ChannelNames.mapUpdated);
    await publishMap('start');
    const seen = await first.next((message) => message.type === 'event');
    first.close();
    for (let index = 0; index < 600; index += 1) {
      await publishMap(`backlog-${index}`);
    }

    const after = await TestClient.connect(gateway.url);
    after.send({
      type: 'subscribe',
      topic: ChannelNames.mapUpdated,
      lastEventIds: { [ChannelNames.mapUpdated]: seen.id },
    });
    await publishMap('during');
    await after.next((message) => message.payload?.mapId === 'during', 20_000);

    const ids = after.events().map((event) => event.payload?.mapId);
    expect(ids).toHaveLength(601);
    expect(ids[0]).toBe('backlog-0');
    expect(ids[599]).toBe('backlog-599');
    expect(ids[600]).toBe('during');
    after.close();
  });

  it('reports a replay gap when the last id was trimmed', async () => {
    const small = new EventPublisher(connection, undefined, { streamMaxLength: 5 });
    await small.publish(ChannelNames.tournamentCreated, { tournamentId: 'old', startsAt: timestamp, timestamp });
    const oldId = await lastEventId(connection, eventStreamKey(ChannelNames.tournamentCreated));
    for (let index = 0; index < 300; index += 1) {
      await small.publish(ChannelNames.tournamentCreated, {
        tournamentId: `t${index}`,
        startsAt: timestamp,
        timestamp,
      });
    }

    const client = await TestClient.connect(gateway.url);
    const gapsBefore = await metricValue(gateway.registry, 'realtime_replay_gaps_total{channel="tournament:created"}');
    const ack = await client.subscribe(ChannelNames.tournamentCreated, { [ChannelNames.tournamentCreated]: oldId });

    expect(client.messages[0]).toEqual({
      type: 'replay_gap',
      topic: ChannelNames.tournamentCreated,
      channel: ChannelNames.tournamentCreated,
      lastEventId: oldId,
    });
    expect(ack.replayed).toBe(0);
    expect(client.events()).toEqual([]);
    expect(await metricValue(gateway.registry, 'realtime_replay_gaps_total{channel="tournament:created"}')).toBe(
      gapsBefore + 1,
    );
    client.close();
  });

  it('replays nothing for an id that is current', async () => {
    const client = await TestClient.connect(gateway.url);
    await publishMap('latest');
    const latestId = await lastEventId(connection, eventStreamKey(ChannelNames.mapUpdated));

    const ack = await client.subscribe(ChannelNames.mapUpdated, { [ChannelNames.mapUpdated]: latestId });

    expect(ack.replayed).toBe(0);
    expect(client.messages).toHaveLength(1);
    client.close();
  });
});
