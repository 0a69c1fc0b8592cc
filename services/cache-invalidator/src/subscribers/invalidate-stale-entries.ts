import { type ChannelName, type EventPayload, staleEntries } from '@backbone/contracts';
import type { CacheAside, EventHandler, Logger } from '@backbone/platform';

import type { InvalidatorMetrics } from '../metrics';

export interface InvalidationDeps {
  cache: CacheAside;
  metrics: InvalidatorMetrics;
  logger: Logger;
}

/**
 * Creates the handler of `channel`: it deletes the entries that the
 * contracts' cache rule names for each event. Deleting an entry that is
 * already gone is a no-op, so every replica can handle every event.
 *
 * When the deletion fails, the handler bumps the generations of the
 * namespaces involved instead, which hides more entries but never leaves a
 * stale one reachable. When that fails too, it throws, and the subscriber
 * logs and counts the failure.
 */
export function invalidateStaleEntries<C extends ChannelName>(channel: C, deps: InvalidationDeps): EventHandler<C> {
  const { cache, metrics, logger } = deps;

  return async (event: EventPayload<C>, context) => {
    const entries = staleEntries(channel, event);
    if (entries.length === 0) {
      return;
    }

    let deleted: number;
    try {
      deleted = await cache.invalidate(entries);
    } catch (error) {
      const namespaces = [...new Set(entries.map((entry) => entry.namespace))];
      logger.error('Deleting stale cache entries failed; bumping their namespaces instead', {
        channel,
        namespaces,
        error,
      });
      await cache.bumpGenerations(namespaces);
      for (const namespace of namespaces) {
        metrics.generationBumps.inc({ namespace, reason: 'invalidation_failed' });
      }
      return;
    }

    metrics.entriesDeleted.inc({ channel }, deleted);
    const delaySeconds = (Date.now() - Date.parse(event.timestamp)) / 1_000;
    metrics.invalidationDelay.observe({ channel }, Math.max(delaySeconds, 0));
    logger.debug('Stale cache entries deleted', {
      channel,
      entries: entries.length,
      deleted,
      durationMs: performance.now() - context.receivedAt,
    });
  };
}
