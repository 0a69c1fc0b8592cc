import { type ChannelName, channelNames, eventStreamKey } from '@backbone/contracts';
import { EVENT_STREAM_PAYLOAD_FIELD, type Logger } from '@backbone/platform';
import type { Redis } from 'ioredis';

/** One event as stored in its channel's stream. */
export interface StreamEvent {
  channel: ChannelName;
  /** Stream entry id; the event id that clients see. */
  id: string;
  /** Payload JSON exactly as the publisher validated and stored it. */
  payloadJson: string;
}

export interface EventFeedOptions {
  /** Dedicated connection for the blocking reads; no other command may use it. */
  connection: Redis;
  logger: Logger;
  /** Called with each batch in stream order per channel, synchronously before the next read. */
  onEvents: (events: StreamEvent[]) => void;
  /** Maximum time one XREAD blocks, so the loop notices a stop without waiting for an event. */
  blockMs?: number;
  /** Maximum entries taken per stream and read. */
  batchSize?: number;
}

type XReadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

const RETRY_DELAY_MS = 500;

/*
 * The gateway's single subscription to the events. It reads every channel's
 * stream with one blocking XREAD on its own connection instead of using
 * Pub/Sub, for three reasons. Each event arrives with its stream id, the same
 * id that replay serves. The read position survives a lost connection, so
 * events published during a short outage between the gateway and Redis are
 * read once it is back. And entries come in stream order, which the
 * publisher's script makes equal to publish order per channel.
 *
 * NOTE: a gateway that falls further behind than EVENTS_STREAM_MAX_LENGTH
 * entries of one channel (a pause of that many events) skips the trimmed
 * ones without telling its clients.
 */
export class EventFeed {
  private readonly keys = channelNames.map((channel) => eventStreamKey(channel));
  private readonly channelByKey = new Map(channelNames.map((channel) => [eventStreamKey(channel), channel] as const));
  private readonly positions = new Map<ChannelName, string>();
  private readonly logger: Logger;
  private loop: Promise<void> | undefined;
  private running = false;
  private failing = false;

  constructor(private readonly options: EventFeedOptions) {
    this.logger = options.logger.child({ module: 'event-feed' });
  }

  /** Reads the current end of every stream, then starts reading what comes after it. */
  async start(): Promise<void> {
    const pipeline = this.options.connection.pipeline();
    for (const key of this.keys) {
      pipeline.xrevrange(key, '+', '-', 'COUNT', 1);
    }
    const replies = (await pipeline.exec()) ?? [];
    channelNames.forEach((channel, index) => {
      const [error, entries] = replies[index] ?? [new Error('missing reply'), null];
      if (error !== null) {
        throw error;
      }
      const last = (entries as [string, string[]][])[0];
      this.positions.set(channel, last === undefined ? '0-0' : last[0]);
    });

    this.running = true;
    this.loop = this.readLoop();
    this.logger.info('Reading event streams', { channels: channelNames });
  }

  /** Id of the last event of `channel` handed to `onEvents`; `0-0` before the first. */
  position(channel: ChannelName): string {
    return this.positions.get(channel) ?? '0-0';
  }

  /** Returns whether the read connection is up and the loop runs. */
  isLive(): boolean {
    return this.running && this.options.connection.status === 'ready' && !this.failing;
  }

  /** Ends the loop; the owner closes the connection afterwards. */
  async stop(): Promise<void> {
    this.running = false;
    // A blocked XREAD keeps the connection busy until it times out, so drop it.
    this.options.connection.disconnect();
    await this.loop;
  }

  private async readLoop(): Promise<void> {
    const { connection, onEvents } = this.options;
    const blockMs = this.options.blockMs ?? 5_000;
    const batchSize = this.options.batchSize ?? 1_000;

    while (this.running) {
      let reply: XReadReply;
      try {
        const ids = channelNames.map((channel) => this.position(channel));
        reply = (await connection.xread(
          'COUNT',
          batchSize,
          'BLOCK',
          blockMs,
          'STREAMS',
          ...this.keys,
          ...ids,
        )) as XReadReply;
        if (this.failing) {
          this.failing = false;
          this.logger.info('Event stream reads resumed');
        }
      } catch (error) {
        if (!this.running) {
          return;
        }
        if (!this.failing) {
          this.failing = true;
          this.logger.warn('Event stream read failed; retrying', { error });
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        continue;
      }

      if (reply === null || !this.running) {
        continue;
      }
      const events = this.decode(reply);
      if (events.length > 0) {
        onEvents(events);
      }
    }
  }

  private decode(reply: NonNullable<XReadReply>): StreamEvent[] {
    const events: StreamEvent[] = [];
    for (const [key, entries] of reply) {
      const channel = this.channelByKey.get(key);
      if (channel === undefined) {
        continue;
      }
      for (const [id, fields] of entries) {
        this.positions.set(channel, id);
        const payloadJson = payloadOf(fields);
        if (payloadJson === undefined) {
          this.logger.warn('Stream entry without a payload skipped', { channel, eventId: id });
          continue;
        }
        events.push({ channel, id, payloadJson });
      }
    }
    return events;
  }
}

/** Value of the payload field in a stream entry's flat field list. */
export function payloadOf(fields: string[]): string | undefined {
  for (let index = 0; index + 1 < fields.length; index += 2) {
    if (fields[index] === EVENT_STREAM_PAYLOAD_FIELD) {
      return fields[index + 1];
    }
  }
  return undefined;
}
