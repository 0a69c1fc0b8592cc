import type { ChannelName } from '@backbone/contracts';
import type { Logger } from '@backbone/platform';
import type { Redis } from 'ioredis';

import type { ClientSession, Subscription } from './client-session';
import type { StreamEvent } from './event-feed';
import type { RealtimeMetrics } from './metrics';
import {
  ErrorCodes,
  errorMessage,
  eventMessage,
  replayGapMessage,
  type SubscribeMessage,
  subscribedMessage,
  unsubscribedMessage,
} from './protocol';
import { hasReplayGap, readMissedEvents } from './replay';
import { parseTopic, topicExamples, topicMatches, topicsOfEvent } from './topics';

export interface SubscriptionManagerOptions {
  /** Connection for replay reads; not the feed's blocking one. */
  commands: Redis;
  /** Last event id the live feed has handed over, per channel. */
  position: (channel: ChannelName) => string;
  maxSubscriptionsPerConnection: number;
  /** Unsent bytes at which a replay waits for the client to read before it sends more. */
  replayPauseBytes: number;
  replayBatchSize: number;
  metrics: RealtimeMetrics;
  logger: Logger;
}

const REPLAY_DRAIN_POLL_MS = 20;

/**
 * Index of the local sessions by topic, and the fan-out of events to them.
 * Each event message is serialised once per topic and written to every
 * session of that topic.
 */
export class SubscriptionManager {
  private readonly byTopic = new Map<string, Set<ClientSession>>();
  private count = 0;

  constructor(private readonly options: SubscriptionManagerOptions) {}

  /** Subscriptions over all sessions. */
  size(): number {
    return this.count;
  }

  /** Hands a batch from the feed to every subscribed session, in order. */
  fanOut(events: StreamEvent[]): void {
    const { metrics } = this.options;

    for (const event of events) {
      const payload = parseJson(event.payloadJson);
      let delivered = 0;
      let droppedSlow = 0;
      let droppedClosing = 0;
      for (const topic of topicsOfEvent(event.channel, payload)) {
        const sessions = this.byTopic.get(topic);
        if (sessions === undefined) {
          continue;
        }
        const message = Buffer.from(eventMessage(topic, event.channel, event.id, event.payloadJson));
        for (const session of sessions) {
          const subscription = session.subscriptions.get(topic);
          if (subscription !== undefined && session.deliver(subscription, message)) {
            delivered += 1;
          } else if (session.wasCutOff()) {
            droppedSlow += 1;
          } else {
            droppedClosing += 1;
          }
        }
      }

      if (delivered > 0) {
        metrics.delivered.inc({ channel: event.channel }, delivered);
        metrics.deliveryLatency.observe(Math.max(0, Date.now() - eventTimeMs(event.id)) / 1_000);
      }
      if (droppedSlow > 0) {
        metrics.dropped.inc({ channel: event.channel, reason: 'slow_client' }, droppedSlow);
      }
      if (droppedClosing > 0) {
        metrics.dropped.inc({ channel: event.channel, reason: 'connection_closing' }, droppedClosing);
      }
    }
  }

  /** Subscribes `session` to a topic, replaying missed events first when the message carries last event ids. */
  async subscribe(session: ClientSession, message: SubscribeMessage): Promise<void> {
    const topic = parseTopic(message.topic);
    if (topic === undefined) {
      session.send(
        errorMessage(
          ErrorCodes.unknownTopic,
          `Unknown topic "${message.topic}"; use one of ${topicExamples.join(', ')}`,
          message.topic,
        ),
      );
      return;
    }
    if (session.subscriptions.has(topic.name)) {
      session.send(errorMessage(ErrorCodes.alreadySubscribed, 'Already subscribed to this topic', topic.name));
      return;
    }
    if (session.subscriptions.size >= this.options.maxSubscriptionsPerConnection) {
      session.send(
        errorMessage(
          ErrorCodes.subscriptionLimit,
          `A connection may hold at most ${this.options.maxSubscriptionsPerConnection} subscriptions; unsubscribe from one first`,
          topic.name,
        ),
      );
      return;
    }

    const lastEventIds = Object.entries(message.lastEventIds ?? {});
    const foreign = lastEventIds.find(([channel]) => !(topic.channels as readonly string[]).includes(channel));
    if (foreign !== undefined) {
      session.send(
        errorMessage(
          ErrorCodes.invalidLastEventId,
          `lastEventIds names channel "${foreign[0]}", which topic "${topic.name}" does not receive; it receives ${topic.channels.join(', ')}`,
          topic.name,
        ),
      );
      return;
    }

    const subscription: Subscription = { topic, replaying: lastEventIds.length > 0, pending: [] };
    this.add(session, subscription);
    if (!subscription.replaying) {
      session.send(subscribedMessage(topic.name, 0));
      return;
    }

    // Live events after these positions reach `pending` from now on, so the
    // replay stops at them and nothing is sent twice or skipped.
    const until = new Map(lastEventIds.map(([channel]) => [channel, this.options.position(channel as ChannelName)]));
    let replayed = 0;
    try {
      for (const [channel, lastEventId] of lastEventIds) {
        replayed += await this.replay(session, subscription, channel as ChannelName, lastEventId, until.get(channel)!);
      }
    } catch (error) {
      this.options.logger.warn('Replay failed', { topic: topic.name, sessionId: session.id, error });
      session.send(
        errorMessage(
          ErrorCodes.replayUnavailable,
          'Missed events could not be read; live events follow. Fetch current state over the REST API.',
          topic.name,
        ),
      );
    }

    if (session.subscriptions.get(topic.name) === subscription) {
      session.send(subscribedMessage(topic.name, replayed));
      session.finishReplay(subscription);
    }
  }

  unsubscribe(session: ClientSession, topicName: string): void {
    const subscription = session.subscriptions.get(topicName);
    if (subscription === undefined) {
      session.send(errorMessage(ErrorCodes.notSubscribed, 'Not subscribed to this topic', topicName));
      return;
    }
    this.remove(session, subscription);
    session.send(unsubscribedMessage(topicName));
  }

  /** Drops every subscription of a session that has closed. */
  removeSession(session: ClientSession): void {
    for (const subscription of [...session.subscriptions.values()]) {
      this.remove(session, subscription);
    }
  }

  private async replay(
    session: ClientSession,
    subscription: Subscription,
    channel: ChannelName,
    lastEventId: string,
    until: string,
  ): Promise<number> {
    const { commands, metrics, replayBatchSize, replayPauseBytes } = this.options;
    const topic = subscription.topic.name;

    if (await hasReplayGap(commands, channel, lastEventId)) {
      metrics.replayGaps.inc({ channel });
      session.send(replayGapMessage(topic, channel, lastEventId));
      return 0;
    }

    let sent = 0;
    try {
      for await (const batch of readMissedEvents(commands, channel, lastEventId, until, replayBatchSize)) {
        for (const event of batch) {
          if (session.subscriptions.get(topic) !== subscription) {
            return sent;
          }
          if (!topicMatches(subscription.topic, channel, parseJson(event.payloadJson))) {
            continue;
          }
          if (!session.send(eventMessage(topic, channel, event.id, event.payloadJson))) {
            return sent;
          }
          sent += 1;
        }
        // Let the client read before the next batch, so a long replay is not mistaken for a slow client.
        while (session.isOpen() && session.backlogBytes() > replayPauseBytes) {
          await new Promise((resolve) => setTimeout(resolve, REPLAY_DRAIN_POLL_MS));
        }
      }
      return sent;
    } finally {
      if (sent > 0) {
        metrics.replayed.inc({ channel }, sent);
        metrics.delivered.inc({ channel }, sent);
      }
    }
  }

  private add(session: ClientSession, subscription: Subscription): void {
    const name = subscription.topic.name;
    session.subscriptions.set(name, subscription);
    let sessions = this.byTopic.get(name);
    if (sessions === undefined) {
      sessions = new Set();
      this.byTopic.set(name, sessions);
    }
    sessions.add(session);
    this.count += 1;
    this.options.metrics.subscriptions.inc();
  }

  private remove(session: ClientSession, subscription: Subscription): void {
    const name = subscription.topic.name;
    session.subscriptions.delete(name);
    const sessions = this.byTopic.get(name);
    sessions?.delete(session);
    if (sessions?.size === 0) {
      this.byTopic.delete(name);
    }
    this.count -= 1;
    this.options.metrics.subscriptions.dec();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Milliseconds part of a stream entry id: the Redis clock when the event was published. */
function eventTimeMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
