import { EventEmitter } from 'node:events';

import { type ChannelName, type EventPayload, eventSchema, isChannelName } from '@backbone/contracts';
import type { Redis } from 'ioredis';

import type { Logger } from './logger';
import { counter, type Registry } from './metrics';

/** Details of a received message besides its payload. */
export interface EventContext {
  channel: ChannelName;
  /** `performance.now()` when the message arrived, for latency measurements. */
  receivedAt: number;
}

export type EventHandler<C extends ChannelName> = (
  event: EventPayload<C>,
  context: EventContext,
) => Promise<void> | void;

export interface EventSubscriberOptions {
  logger: Logger;
  metrics?: Registry;
  /**
   * Glob patterns to subscribe to instead of the handled channels, such as
   * `map:*`. Every event then arrives once. A message on a channel that
   * matches a pattern but has no handler is logged and counted as
   * `unknown_channel`, whereas plain SUBSCRIBE never delivers such messages.
   */
  patterns?: readonly string[];
}

type MalformedReason = 'invalid_json' | 'invalid_payload' | 'unknown_channel';

/**
 * Receives events on a dedicated Redis connection, validates each against its
 * channel's schema and hands it to the handler. A malformed message is
 * logged, counted and skipped; a handler that throws is logged and counted.
 * Neither stops the subscriber.
 *
 * Emits `subscribed` after the first subscription and after every
 * resubscription that follows a reconnect. Pub/Sub keeps nothing for a
 * subscriber that is away, so listeners use it to repair what a gap may have
 * missed.
 */
export class EventSubscriber extends EventEmitter<{ subscribed: []; unsubscribed: [] }> {
  private readonly handlers = new Map<ChannelName, EventHandler<ChannelName>>();
  private readonly logger: Logger;
  private readonly metrics;
  private readonly patterns: readonly string[] | undefined;
  private subscribed = false;
  private started = false;
  private stopping = false;

  constructor(
    private readonly connection: Redis,
    options: EventSubscriberOptions,
  ) {
    super();
    this.logger = options.logger.child({ module: 'event-subscriber' });
    this.metrics = options.metrics === undefined ? undefined : createSubscriberMetrics(options.metrics);
    this.patterns = options.patterns === undefined || options.patterns.length === 0 ? undefined : options.patterns;
  }

  /** Registers the handler of `channel`; call before `start()`. A channel has one handler. */
  handle<C extends ChannelName>(channel: C, handler: EventHandler<C>): this {
    if (this.started) {
      throw new Error(`Cannot add a handler for "${channel}" after the subscriber has started`);
    }
    if (this.handlers.has(channel)) {
      throw new Error(`Channel "${channel}" already has a handler`);
    }
    this.handlers.set(channel, handler as unknown as EventHandler<ChannelName>);
    return this;
  }

  /** Subscribes to every channel that has a handler and resolves once Redis has confirmed. */
  async start(): Promise<void> {
    if (this.handlers.size === 0) {
      throw new Error('The subscriber has no handlers; register one with handle() before start()');
    }
    this.started = true;

    this.connection.on('message', (channel: string, message: string) => {
      void this.dispatch(channel, message);
    });
    this.connection.on('pmessage', (_pattern: string, channel: string, message: string) => {
      void this.dispatch(channel, message);
    });
    this.connection.on('close', () => this.markUnsubscribed());
    this.connection.on('ready', () => {
      // ioredis subscribes again by itself after a reconnect; subscribing here
      // too is harmless and lets the resolved promise mark the end of the gap.
      void this.subscribe().catch((error: unknown) => {
        this.logger.error('Resubscription after reconnect failed', { error });
      });
    });

    await this.subscribe();
  }

  /** Returns whether the subscription is live now. */
  isSubscribed(): boolean {
    return this.subscribed;
  }

  /** Unsubscribes and stops dispatching; the connection is closed by its owner. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.connection.removeAllListeners('message');
    this.connection.removeAllListeners('pmessage');
    this.connection.removeAllListeners('ready');
    if (this.connection.status === 'ready') {
      const unsubscribe = this.patterns === undefined ? this.connection.unsubscribe() : this.connection.punsubscribe();
      await unsubscribe.catch(() => undefined);
    }
    this.markUnsubscribed();
  }

  private async subscribe(): Promise<void> {
    const channels = [...this.handlers.keys()];
    if (this.patterns === undefined) {
      await this.connection.subscribe(...channels);
    } else {
      await this.connection.psubscribe(...this.patterns);
    }
    if (!this.subscribed) {
      this.subscribed = true;
      this.logger.info('Subscribed to channels', { channels, patterns: this.patterns });
      this.emit('subscribed');
    }
  }

  private markUnsubscribed(): void {
    if (this.subscribed) {
      this.subscribed = false;
      if (this.stopping) {
        this.logger.info('Unsubscribed from channels');
      } else {
        this.logger.warn('Subscription lost; events published until it is restored are missed');
      }
      this.emit('unsubscribed');
    }
  }

  private async dispatch(channel: string, message: string): Promise<void> {
    const receivedAt = performance.now();

    if (!isChannelName(channel) || !this.handlers.has(channel)) {
      this.reject(channel, 'unknown_channel', 'no handler for this channel');
      return;
    }
    this.metrics?.received.inc({ channel });

    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch (error) {
      this.reject(channel, 'invalid_json', error instanceof Error ? error.message : String(error));
      return;
    }

    const parsed = eventSchema(channel).safeParse(json);
    if (!parsed.success) {
      const reason = parsed.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      this.reject(channel, 'invalid_payload', reason);
      return;
    }

    try {
      await this.handlers.get(channel)!(parsed.data, { channel, receivedAt });
    } catch (error) {
      this.metrics?.handlerErrors.inc({ channel });
      this.logger.error('Event handler failed', { channel, error });
    }
  }

  private reject(channel: string, reason: MalformedReason, detail: string): void {
    this.metrics?.malformed.inc({ channel: isChannelName(channel) ? channel : 'unknown', reason });
    this.logger.warn('Malformed event skipped', { channel, reason, detail });
  }
}

function createSubscriberMetrics(registry: Registry) {
  return {
    received: counter(registry, {
      name: 'events_received_total',
      help: 'Events received, by channel, before validation.',
      labelNames: ['channel'] as const,
    }),
    malformed: counter(registry, {
      name: 'events_malformed_total',
      help: 'Messages skipped because they were not valid JSON, did not match the schema or came on an unknown channel.',
      labelNames: ['channel', 'reason'] as const,
    }),
    handlerErrors: counter(registry, {
      name: 'event_handler_errors_total',
      help: 'Events whose handler threw.',
      labelNames: ['channel'] as const,
    }),
  };
}
