import { EventEmitter } from 'node:events';

import type { CacheNamespace } from '@backbone/contracts';
import type { CacheAside, EventSubscriber, Logger } from '@backbone/platform';

import type { InvalidatorMetrics } from './metrics';

export interface GapRepairOptions {
  cache: CacheAside;
  /** Namespaces whose generations are bumped after every (re)subscription. */
  namespaces: readonly CacheNamespace[];
  metrics: InvalidatorMetrics;
  logger: Logger;
  /** Pause before the next attempt after a failed bump. */
  retryDelayMs: number;
}

/**
 * Bumps the generations of the owned namespaces each time the subscriber
 * reports `subscribed`: at the first subscription and after every reconnect.
 *
 * Why the bump comes after the subscription is live: a writer changes the
 * store before it publishes the event. Let the subscription become live at
 * time S. An event that was missed was published before S, so its change was
 * stored before S too. The bump runs after S, so a read that gets the new
 * generation loads from the store after that change and caches fresh data,
 * while anything cached earlier sits under an older generation and is never
 * read again. Every event published after S is delivered. Bumping before
 * subscribing would leave a window: a read after the bump could cache the
 * old state, and the event of a change published before S would be missed.
 */
export class GapRepair {
  /** Number of `subscribed` notifications seen; each needs its own bump. */
  private subscription = 0;
  /** The subscription for which the bump succeeded. */
  private repairedSubscription = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Emits `change` when a bump succeeded or the repair stopped, to wake `whenRepaired()`. */
  private readonly events = new EventEmitter<{ change: [] }>();
  private readonly logger: Logger;

  constructor(
    private readonly subscriber: EventSubscriber,
    private readonly options: GapRepairOptions,
  ) {
    this.logger = options.logger.child({ module: 'gap-repair' });
    subscriber.on('subscribed', () => {
      this.subscription += 1;
      void this.bump(this.subscription);
    });
    subscriber.on('unsubscribed', () => {
      clearTimeout(this.retryTimer);
    });
  }

  /** Returns whether the subscription is live and the generations were bumped after it became live. */
  isRepaired(): boolean {
    return this.subscriber.isSubscribed() && this.subscription > 0 && this.repairedSubscription === this.subscription;
  }

  /** Resolves once `isRepaired()` holds. Rejects when `stop()` is called first. */
  async whenRepaired(): Promise<void> {
    while (!this.isRepaired()) {
      if (this.stopped) {
        throw new Error('The cache-invalidator stopped before its subscription was ready');
      }
      await new Promise<void>((resolve) => this.events.once('change', resolve));
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.events.emit('change');
  }

  private async bump(subscription: number): Promise<void> {
    // A newer subscription runs its own bump, which is the one that counts.
    if (this.stopped || subscription !== this.subscription) {
      return;
    }

    const { cache, namespaces, metrics, retryDelayMs } = this.options;
    try {
      await cache.bumpGenerations(namespaces);
    } catch (error) {
      this.logger.warn('Bumping cache generations failed; retrying', { namespaces, retryDelayMs, error });
      if (!this.stopped && subscription === this.subscription) {
        this.retryTimer = setTimeout(() => void this.bump(subscription), retryDelayMs);
      }
      return;
    }

    for (const namespace of namespaces) {
      metrics.generationBumps.inc({ namespace, reason: 'resubscribed' });
    }
    if (subscription === this.subscription) {
      this.repairedSubscription = subscription;
      this.logger.info('Cache generations bumped after subscribing', { namespaces });
      this.events.emit('change');
    }
  }
}
