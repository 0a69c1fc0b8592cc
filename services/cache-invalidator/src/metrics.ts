import { counter, histogram, latencyBucketsSeconds, type Registry } from '@backbone/platform';

/*
 * Metrics of the cache-invalidator. The platform's EventSubscriber counts
 * messages received per channel as `events_received_total` and malformed
 * ones as `events_malformed_total`. The metrics below count what the
 * invalidator itself does.
 */

export function createInvalidatorMetrics(registry: Registry) {
  return {
    entriesDeleted: counter(registry, {
      name: 'cache_entries_deleted_total',
      help: 'Cache entries that existed and were unlinked, by the channel of the event that made them stale.',
      labelNames: ['channel'] as const,
    }),
    generationBumps: counter(registry, {
      name: 'cache_generation_bumps_total',
      help: 'Generation bumps of a cache namespace, by namespace and reason (resubscribed or invalidation_failed).',
      labelNames: ['namespace', 'reason'] as const,
    }),
    // NOTE: the delay is the local clock minus the event's `timestamp`, which
    // the publisher set from its own clock. Clock skew between the two hosts
    // shifts every sample by the skew; a negative delay is recorded as 0.
    invalidationDelay: histogram(registry, {
      name: 'cache_invalidation_delay_seconds',
      help: "Seconds from the event's timestamp, set by its publisher, to the deletion of the entries it made stale.",
      labelNames: ['channel'] as const,
      buckets: latencyBucketsSeconds,
    }),
  };
}

export type InvalidatorMetrics = ReturnType<typeof createInvalidatorMetrics>;
