import { PassThrough } from 'node:stream';
import { ChannelNames, type EventPayload, eventStreamKey } from '@backbone/contracts';
import {
  createLogger,
  createMetricsRegistry,
  createRedisConnection,
  EVENT_STREAM_PAYLOAD_FIELD,
  EventPublisher,
  EventSubscriber,
  NotFoundError,
  ValidationError,
  waitForRedisReady,
} from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

const timestamp = '2026-12-04T18:00:00.000Z';

/** Resolves with the next value `take` returns that is not undefined, polling every 10 ms. */
async function eventually<T>(take: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await take();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

describe('EventPublisher and EventSubscriber', () => {
  let server: RedisTestServer;
  let publisherConnection: Redis;
  let subscriberConnection: Redis;
  let publisher: EventPublisher;
  let subscriber: EventSubscriber;
  let received: EventPayload<'map:completed'>[];
  let logLines: string[];
  const registry = createMetricsRegistry('test', { defaultMetrics: false });

  beforeAll(async () => {
    server = await RedisTestServer.start();
    publisherConnection = createRedisConnection(server.url(), 'producer');
    subscriberConnection = createRedisConnection(server.url(), 'subscriber');
    publisher = new EventPublisher(publisherConnection, registry);

    const stream = new PassThrough();
    logLines = [];
    stream.on('data', (chunk: Buffer) => logLines.push(chunk.toString()));
    const logger = createLogger({ service: 'test', level: 'debug', format: 'json', stream });

    received = [];
    subscriber = new EventSubscriber(subscriberConnection, { logger, metrics: registry });
    subscriber.handle(ChannelNames.mapCompleted, (event) => {
      received.push(event);
    });
    subscriber.handle(ChannelNames.tournamentActivated, () => {
      throw new Error('handler bug');
    });
    await subscriber.start();
  });

  afterAll(async () => {
    await subscriber.stop();
    subscriberConnection.disconnect();
    publisherConnection.disconnect();
    await server.cleanup();
  });

  beforeEach(() => {
    received.length = 0;
    logLines.length = 0;
  });

  it('delivers a valid event and reports one receiver', async () => {
    const receivers = await publisher.publish(ChannelNames.mapCompleted, {
      mapId: 'm1',
      tournamentId: null,
      result: { winner: 'red' },
      timestamp,
    });

    expect(receivers).toBe(1);
    const event = await eventually(() => received[0]);
    expect(event).toEqual({ mapId: 'm1', tournamentId: null, result: { winner: 'red' }, timestamp });
  });

  it('records each event in its channel stream', async () => {
    const stream = eventStreamKey(ChannelNames.tournamentCreated);
    const before = await publisherConnection.xlen(stream);

    await publisher.publish(ChannelNames.tournamentCreated, { tournamentId: 't9', startsAt: timestamp, timestamp });
    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'm9', changes: ['image'], timestamp });

    const entries = await publisherConnection.xrevrange(stream, '+', '-', 'COUNT', 1);
    expect(await publisherConnection.xlen(stream)).toBe(before + 1);
    expect(entries[0]?.[1]).toEqual([
      EVENT_STREAM_PAYLOAD_FIELD,
      JSON.stringify({ tournamentId: 't9', startsAt: timestamp, timestamp }),
    ]);
  });

  it('publishes with one script call per event', async () => {
    const scriptCalls = async (): Promise<number> => {
      const stats = await publisherConnection.info('commandstats');
      return [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
    };
    await publisher.publish(ChannelNames.mapUpdated, { mapId: 'warm-up', changes: ['name'], timestamp });
    const before = await scriptCalls();

    for (let index = 0; index < 10; index += 1) {
      await publisher.publish(ChannelNames.mapUpdated, { mapId: `m${index}`, changes: ['name'], timestamp });
    }

    expect((await scriptCalls()) - before).toBe(10);
  });

  it('caps the channel stream near its maximum length', async () => {
    const capped = new EventPublisher(publisherConnection, undefined, { streamMaxLength: 10 });
    const stream = eventStreamKey(ChannelNames.mapUpdated);

    for (let index = 0; index < 400; index += 1) {
      await capped.publish(ChannelNames.mapUpdated, { mapId: `m${index}`, changes: ['name'], timestamp });
    }

    // MAXLEN ~ trims whole stream nodes of up to 100 entries, so up to ~110 remain.
    const length = await publisherConnection.xlen(stream);
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThanOrEqual(110);
  });

  it('rejects an invalid event before it reaches Redis', async () => {
    const monitor = server.client();
    const published: string[] = [];
    await monitor.psubscribe('*');
    monitor.on('pmessage', (_pattern: string, channel: string) => published.push(channel));

    const streamLength = await publisherConnection.xlen(eventStreamKey(ChannelNames.mapCompleted));
    const attempt = publisher.publishUnchecked(ChannelNames.mapCompleted, { mapId: 'm1', timestamp: 'now' });

    await expect(attempt).rejects.toThrow(ValidationError);
    await expect(
      attempt.catch((error: ValidationError) => error.issues.map((issue) => issue.path[0])),
    ).resolves.toEqual(expect.arrayContaining(['tournamentId', 'result', 'timestamp']));
    await publisher.publish(ChannelNames.tournamentCreated, { tournamentId: 't1', startsAt: timestamp, timestamp });
    await eventually(() => (published.length > 0 ? published : undefined));
    expect(published).toEqual(['tournament:created']);
    expect(await publisherConnection.xlen(eventStreamKey(ChannelNames.mapCompleted))).toBe(streamLength);
    monitor.disconnect();
  });

  it('rejects an undeclared channel', async () => {
    await expect(publisher.publishUnchecked('map:deleted', {})).rejects.toThrow(NotFoundError);
  });

  it.each([
    ['invalid JSON', '{not json', 'invalid_json'],
    ['a payload that breaks the schema', JSON.stringify({ mapId: 7 }), 'invalid_payload'],
  ])('skips %s and keeps running', async (_case, message, reason) => {
    await publisherConnection.publish(ChannelNames.mapCompleted, message);
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'after', tournamentId: null, result: null, timestamp });

    const event = await eventually(() => received[0]);
    expect(event.mapId).toBe('after');
    expect(received).toHaveLength(1);
    expect(logLines.join('')).toContain('"message":"Malformed event skipped"');
    expect(logLines.join('')).toContain(`"reason":"${reason}"`);
    expect(await registry.metrics()).toMatch(
      new RegExp(`events_malformed_total\\{channel="map:completed",reason="${reason}",service="test"\\} 1`),
    );
  });

  it('survives a handler that throws', async () => {
    await publisher.publish(ChannelNames.tournamentActivated, { tournamentId: 't1', timestamp });
    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'next', tournamentId: null, result: null, timestamp });

    await eventually(() => received[0]);
    expect(logLines.join('')).toContain('"message":"Event handler failed"');
    expect(await registry.metrics()).toContain(
      'event_handler_errors_total{channel="tournament:activated",service="test"} 1',
    );
  });

  it('resubscribes after Redis restarts and says so', async () => {
    const gaps: string[] = [];
    subscriber.on('unsubscribed', () => gaps.push('lost'));
    subscriber.on('subscribed', () => gaps.push('restored'));

    await server.restart();
    await eventually(() => (subscriber.isSubscribed() && gaps.includes('restored') ? true : undefined), 10_000);
    await eventually(() => (publisherConnection.status === 'ready' ? true : undefined), 10_000);

    await publisher.publish(ChannelNames.mapCompleted, { mapId: 'back', tournamentId: null, result: null, timestamp });
    const event = await eventually(() => received[0]);
    expect(event.mapId).toBe('back');
    expect(gaps).toEqual(['lost', 'restored']);
  });
});

describe('EventSubscriber with patterns', () => {
  let server: RedisTestServer;
  let subscriberConnection: Redis;
  let publisherConnection: Redis;
  let subscriber: EventSubscriber;
  const received: string[] = [];
  const registry = createMetricsRegistry('test', { defaultMetrics: false });

  beforeAll(async () => {
    server = await RedisTestServer.start();
    subscriberConnection = createRedisConnection(server.url(), 'subscriber');
    publisherConnection = createRedisConnection(server.url(), 'producer');
    await waitForRedisReady(publisherConnection);
    const logger = createLogger({ service: 'test', level: 'error', format: 'json', stream: new PassThrough() });
    subscriber = new EventSubscriber(subscriberConnection, { logger, metrics: registry, patterns: ['map:*'] });
    subscriber.handle(ChannelNames.mapCompleted, (event) => {
      received.push(event.mapId);
    });
    await subscriber.start();
  });

  afterAll(async () => {
    await subscriber.stop();
    subscriberConnection.disconnect();
    publisherConnection.disconnect();
    await server.cleanup();
  });

  it('delivers each event once and counts one receiver', async () => {
    const publisher = new EventPublisher(publisherConnection);

    const receivers = await publisher.publish(ChannelNames.mapCompleted, {
      mapId: 'once',
      tournamentId: null,
      result: null,
      timestamp,
    });

    await eventually(() => (received.length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(receivers).toBe(1);
    expect(received).toEqual(['once']);
  });

  it('counts a message on an undeclared channel of the family', async () => {
    await publisherConnection.publish('map:deleted', JSON.stringify({ mapId: 'x' }));

    await eventually(async () =>
      (await registry.metrics()).includes('events_malformed_total{channel="unknown",reason="unknown_channel"')
        ? true
        : undefined,
    );
    expect(received).toEqual(['once']);
  });
});
