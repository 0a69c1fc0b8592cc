import { type ChannelName, type EventInput, eventSchema, eventStreamKey, isChannelName } from '@backbone/contracts';
import type { Redis } from 'ioredis';

import { NotFoundError, toValidationIssues, ValidationError } from './errors';
import { counter, type Registry } from './metrics';

/** Default of `EVENTS_STREAM_MAX_LENGTH`. */
export const DEFAULT_EVENTS_STREAM_MAX_LENGTH = 10_000;

export interface EventPublisherOptions {
  /** Approximate number of events kept per channel stream (`XADD MAXLEN ~`). */
  streamMaxLength?: number;
}

/*
 * One round trip per event: the script appends the payload to the channel's
 * capped stream, then publishes the same bare payload on the channel. The
 * Pub/Sub message stays the payload JSON, so `EventSubscriber` and its strict
 * schemas see no change. Readers that need event ids (the realtime gateway)
 * read the stream instead of Pub/Sub, so live and replayed events carry the
 * same id: the stream entry id. Running both commands in one script keeps the
 * stream order equal to the Pub/Sub order, and the one key keeps the script
 * valid on Redis Cluster.
 */
const PUBLISH_SCRIPT = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'payload', ARGV[2])
local receivers = redis.call('PUBLISH', ARGV[1], ARGV[2])
return {id, receivers}
`;

/** Name of the field that contains the payload JSON in every event stream entry. */
export const EVENT_STREAM_PAYLOAD_FIELD = 'payload';

type PublishScript = (stream: string, channel: string, payload: string, maxLength: number) => Promise<[string, number]>;

/**
 * Publishes events on the channels declared in the contracts and records each
 * in its channel's capped stream. Every event is validated before it is sent;
 * an invalid one never reaches Redis.
 */
export class EventPublisher {
  private readonly published;
  private readonly streamMaxLength: number;

  constructor(
    private readonly connection: Redis,
    metrics?: Registry,
    options: EventPublisherOptions = {},
  ) {
    this.streamMaxLength = options.streamMaxLength ?? DEFAULT_EVENTS_STREAM_MAX_LENGTH;
    if (!Number.isInteger(this.streamMaxLength) || this.streamMaxLength < 1) {
      throw new Error(`streamMaxLength must be a positive integer, got ${this.streamMaxLength}`);
    }
    // ioredis sends EVALSHA and falls back to EVAL once when Redis lacks the script.
    if (!('backbonePublishEvent' in connection)) {
      connection.defineCommand('backbonePublishEvent', { numberOfKeys: 1, lua: PUBLISH_SCRIPT });
    }

    this.published =
      metrics === undefined
        ? undefined
        : counter(metrics, {
            name: 'events_published_total',
            help: 'Events published by this process.',
            labelNames: ['channel'] as const,
          });
  }

  /** Publishes an event whose channel and payload type are checked at compile time. Returns the number of receivers. */
  async publish<C extends ChannelName>(channel: C, event: EventInput<C>): Promise<number> {
    return this.publishUnchecked(channel, event);
  }

  /**
   * Publishes an event whose channel and payload come from outside, such as
   * an HTTP body. Throws `NotFoundError` for an unknown channel and
   * `ValidationError` naming every invalid field.
   */
  async publishUnchecked(channel: string, event: unknown): Promise<number> {
    if (!isChannelName(channel)) {
      throw new NotFoundError('channel_not_found', `Channel "${channel}" is not declared`);
    }

    const parsed = eventSchema(channel).safeParse(event);
    if (!parsed.success) {
      throw new ValidationError(`Invalid event for channel "${channel}"`, toValidationIssues(parsed.error.issues));
    }

    const publishScript = (this.connection as unknown as { backbonePublishEvent: PublishScript }).backbonePublishEvent;
    const [, receivers] = await publishScript.call(
      this.connection,
      eventStreamKey(channel),
      channel,
      JSON.stringify(parsed.data),
      this.streamMaxLength,
    );
    this.published?.inc({ channel });
    return receivers;
  }
}
