import { type ChannelName, eventStreamKey } from '@backbone/contracts';
import type { Redis } from 'ioredis';

import { payloadOf, type StreamEvent } from './event-feed';
import { compareEventIds } from './protocol';

type Entries = [id: string, fields: string[]][];

/**
 * Tells whether events after `lastEventId` may be missing from the stream of
 * `channel`. That is the case when the stream no longer contains the client's own
 * last event: it was trimmed, so newer ones may have been trimmed too. The
 * check is conservative by one entry, because it also reports a gap when only
 * the client's own event is gone.
 */
export async function hasReplayGap(connection: Redis, channel: ChannelName, lastEventId: string): Promise<boolean> {
  const first = (await connection.xrange(eventStreamKey(channel), '-', '+', 'COUNT', 1)) as Entries;
  const firstId = first[0]?.[0];
  return firstId === undefined || compareEventIds(lastEventId, firstId) < 0;
}

/**
 * Yields the events of `channel` after `afterId` up to and including
 * `untilId`, in stream order, `batchSize` at a time, so a long replay keeps
 * one batch in memory.
 */
export async function* readMissedEvents(
  connection: Redis,
  channel: ChannelName,
  afterId: string,
  untilId: string,
  batchSize: number,
): AsyncGenerator<StreamEvent[]> {
  let cursor = afterId;
  while (compareEventIds(cursor, untilId) < 0) {
    const entries = (await connection.xrange(
      eventStreamKey(channel),
      `(${cursor}`,
      untilId,
      'COUNT',
      batchSize,
    )) as Entries;
    if (entries.length === 0) {
      return;
    }

    const events: StreamEvent[] = [];
    for (const [id, fields] of entries) {
      cursor = id;
      const payloadJson = payloadOf(fields);
      if (payloadJson !== undefined) {
        events.push({ channel, id, payloadJson });
      }
    }
    yield events;
  }
}
