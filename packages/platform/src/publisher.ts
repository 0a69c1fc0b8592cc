import { type ChannelName, type EventInput, eventSchema, isChannelName } from '@backbone/contracts';
import type { Redis } from 'ioredis';

import { NotFoundError, toValidationIssues, ValidationError } from './errors';
import { counter, type Registry } from './metrics';

/**
 * Publishes events on the channels declared in the contracts. Every event is
 * validated before it is sent; an invalid one never reaches Redis.
 */
export class EventPublisher {
  private readonly published;

  constructor(
    private readonly connection: Redis,
    metrics?: Registry,
  ) {
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

    const receivers = await this.connection.publish(channel, JSON.stringify(parsed.data));
    this.published?.inc({ channel });
    return receivers;
  }
}
