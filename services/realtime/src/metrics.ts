import { counter, gauge, histogram, latencyBucketsSeconds, type Registry } from '@backbone/platform';

/** Reason the gateway closed or rejected a connection. */
export type CloseReason =
  | 'unauthorized'
  | 'connection_limit'
  | 'slow_client'
  | 'heartbeat_timeout'
  | 'message_too_big'
  | 'shutdown';

export type RealtimeMetrics = ReturnType<typeof createRealtimeMetrics>;

export function createRealtimeMetrics(registry: Registry) {
  return {
    connections: gauge(registry, {
      name: 'realtime_connections',
      help: 'Open, authenticated WebSocket connections.',
    }),
    subscriptions: gauge(registry, {
      name: 'realtime_subscriptions',
      help: 'Topic subscriptions over all open connections.',
    }),
    closed: counter(registry, {
      name: 'realtime_connections_closed_total',
      help: 'Connections the gateway closed or rejected, by reason; closes by the client are not counted.',
      labelNames: ['reason'] as const,
    }),
    delivered: counter(registry, {
      name: 'realtime_events_delivered_total',
      help: 'Event messages written to client connections, live and replayed, by channel.',
      labelNames: ['channel'] as const,
    }),
    dropped: counter(registry, {
      name: 'realtime_events_dropped_total',
      help: 'Event messages not written to a subscribed client, by channel and reason.',
      labelNames: ['channel', 'reason'] as const,
    }),
    replayed: counter(registry, {
      name: 'realtime_events_replayed_total',
      help: 'Events sent from the streams to clients that resumed with a last event id.',
      labelNames: ['channel'] as const,
    }),
    replayGaps: counter(registry, {
      name: 'realtime_replay_gaps_total',
      help: 'Resumes whose last event id was older than the stream keeps.',
      labelNames: ['channel'] as const,
    }),
    deliveryLatency: histogram(registry, {
      name: 'realtime_delivery_latency_seconds',
      help:
        'Time from publish (the Redis clock in the event id) until the event was written to every local ' +
        'subscriber; includes any clock offset between Redis and the gateway.',
      buckets: latencyBucketsSeconds,
    }),
  };
}
