import { ChannelNames, eventStreamKey } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { eventually, metricValue, startTestGateway, TestClient, type TestGateway } from './support/gateway';

const timestamp = '2026-12-04T18:00:00.000Z';

describe('realtime subscriptions', () => {
  let redis: RedisTestServer;
  let gateway: TestGateway;
  let connection: Redis;
  let publisher: EventPublisher;
  let client: TestClient;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    gateway = await startTestGateway(redis.url());
    connection = createRedisConnection(redis.url(), 'worker');
    publisher = new EventPublisher(connection);
  });

  afterAll(async () => {
    await gateway.handle.stop();
    connection.disconnect();
    await redis.cleanup();
  });

  beforeEach(async () => {
    client = await TestClient.connect(gateway.url);
  });

  afterEach(async () => {
    client.close();
    await eventually(async () => (await metricValue(gateway.registry, 'realtime_connections')) === 0);
  });

  it('delivers a channel event with channel, id and payload', async () => {
    await client.subscribe(ChannelNames.mapCompleted);

    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'm1', tournamentId: 't1', result: null, timestamp });

    const [stored] = await connection.xrevrange(eventStreamKey(ChannelNames.mapCompleted), '+', '-', 'COUNT', 1);
    const event = await client.next((message) => message.type === 'event');
    expect(event).toEqual({
      type: 'event',
      topic: ChannelNames.mapCompleted,
      channel: ChannelNames.mapCompleted,
      id: stored?.[0],
      payload: { mapId: 'm1', tournamentId: 't1', result: null, timestamp },
    });
  });

  it('delivers only the events of one map to its topic', async () => {
    await client.subscribe('map:m7');

    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'other', changes: ['name'], timestamp });
    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'm7', changes: ['image'], timestamp });
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'm7', tournamentId: null, result: null, timestamp });
    await client.subscribe(ChannelNames.tournamentActivated);
    await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 'end-marker', timestamp });
    await client.next((message) => message.channel === ChannelNames.tournamentActivated);

    const forMap = client.events().filter((event) => event.topic === 'map:m7');
    expect(forMap.map((event) => event.channel)).toEqual([ChannelNames.mapUpdated, ChannelNames.mapCompleted]);
    expect(forMap.every((event) => event.payload?.mapId === 'm7')).toBe(true);
  });

  it('delivers a tournament and its maps to the tournament topic', async () => {
    await client.subscribe('tournament:t5');

    await publisher.publish(ChannelNames.tournamentCreated, { tournamentId: 't5', startsAt: timestamp, timestamp });
    await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 't6', timestamp });
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'm1', tournamentId: 't5', result: null, timestamp });
    await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 't5', timestamp });
    await client.next((message) => message.channel === ChannelNames.tournamentActivated);

    expect(client.events().map((event) => event.channel)).toEqual([
      ChannelNames.tournamentCreated,
      ChannelNames.mapCompleted,
      ChannelNames.tournamentActivated,
    ]);
  });

  it('stops delivering after unsubscribe', async () => {
    await client.subscribe(ChannelNames.tournamentCreated);
    await client.subscribe(ChannelNames.tournamentActivated);
    client.send({ type: 'unsubscribe', topic: ChannelNames.tournamentCreated });
    await client.next((message) => message.type === 'unsubscribed');

    await publisher.publish(ChannelNames.tournamentCreated, { tournamentId: 'x', startsAt: timestamp, timestamp });
    await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 'x', timestamp });
    await client.next((message) => message.type === 'event');

    expect(client.events().map((event) => event.channel)).toEqual([ChannelNames.tournamentActivated]);
  });

  it.each([
    ['invalid JSON', '{"type":', 'invalid_message'],
    ['an unknown message type', { type: 'publish', topic: 'map:completed' }, 'invalid_message'],
    ['an extra field', { type: 'subscribe', topic: 'map:completed', extra: 1 }, 'invalid_message'],
    ['an unknown topic', { type: 'subscribe', topic: 'player:p1' }, 'unknown_topic'],
    ['an entity id with a colon', { type: 'subscribe', topic: 'map:a:b' }, 'unknown_topic'],
    [
      'a malformed last event id',
      { type: 'subscribe', topic: 'map:completed', lastEventIds: { 'map:completed': 'x' } },
      'invalid_message',
    ],
    [
      'a last event id of another channel',
      { type: 'subscribe', topic: 'map:completed', lastEventIds: { 'map:updated': '1-0' } },
      'invalid_last_event_id',
    ],
    ['an unsubscribe without subscription', { type: 'unsubscribe', topic: 'map:completed' }, 'not_subscribed'],
  ])('answers %s with error %s', async (_case, message, code) => {
    client.send(message);

    const reply = await client.next();
    expect(reply.type).toBe('error');
    expect(reply.code).toBe(code);
    expect(await metricValue(gateway.registry, 'realtime_subscriptions')).toBe(0);
  });

  it('rejects a second subscribe to one topic', async () => {
    await client.subscribe(ChannelNames.mapUpdated);

    const reply = await client.subscribe(ChannelNames.mapUpdated);
    expect(reply.code).toBe('already_subscribed');
    expect(await metricValue(gateway.registry, 'realtime_subscriptions')).toBe(1);
  });
});
