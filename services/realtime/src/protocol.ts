import { z } from 'zod';

/** Path of the WebSocket endpoint. */
export const REALTIME_PATH = '/v1/realtime';

/** Close codes the gateway sends; 4xxx codes mirror the HTTP status of the same meaning. */
export const CloseCodes = {
  /** The gateway is shutting down; reconnect, possibly to another instance. */
  serviceRestart: 1012,
  /** This instance has its maximum number of connections; retry later or elsewhere. */
  tryAgainLater: 1013,
  /** A client message was larger than the limit (sent by `ws` itself). */
  messageTooBig: 1009,
  /** The token was missing or not one of `REALTIME_TOKENS`. */
  unauthorized: 4401,
  /** The client read too slowly and its send buffer passed the limit. */
  slowClient: 4408,
} as const;

/** Stable codes of `error` messages. */
export const ErrorCodes = {
  invalidMessage: 'invalid_message',
  unknownTopic: 'unknown_topic',
  invalidLastEventId: 'invalid_last_event_id',
  alreadySubscribed: 'already_subscribed',
  notSubscribed: 'not_subscribed',
  subscriptionLimit: 'subscription_limit',
  replayUnavailable: 'replay_unavailable',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Redis stream entry id, `<milliseconds>-<sequence>`. */
export const eventIdSchema = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'must be an event id such as "1733333333333-0"');

const subscribeSchema = z.strictObject({
  type: z.literal('subscribe'),
  topic: z.string().min(1).max(200),
  /** Last event id seen per channel; the gateway replays what came after it. */
  lastEventIds: z.record(z.string(), eventIdSchema).optional(),
});

const unsubscribeSchema = z.strictObject({
  type: z.literal('unsubscribe'),
  topic: z.string().min(1).max(200),
});

export const clientMessageSchema = z.discriminatedUnion('type', [subscribeSchema, unsubscribeSchema]);

export type ClientMessage = z.output<typeof clientMessageSchema>;
export type SubscribeMessage = z.output<typeof subscribeSchema>;

/**
 * Builds an `event` message without parsing the payload again: the stream
 * contains the payload JSON exactly as the publisher validated it.
 */
export function eventMessage(topic: string, channel: string, id: string, payloadJson: string): string {
  return `{"type":"event","topic":${JSON.stringify(topic)},"channel":${JSON.stringify(channel)},"id":${JSON.stringify(id)},"payload":${payloadJson}}`;
}

export function errorMessage(code: ErrorCode, message: string, topic?: string): string {
  return JSON.stringify({ type: 'error', code, message, ...(topic === undefined ? {} : { topic }) });
}

export function subscribedMessage(topic: string, replayed: number): string {
  return JSON.stringify({ type: 'subscribed', topic, replayed });
}

export function unsubscribedMessage(topic: string): string {
  return JSON.stringify({ type: 'unsubscribed', topic });
}

/** Tells the client that events after `lastEventId` on `channel` were trimmed from the stream and cannot be replayed. */
export function replayGapMessage(topic: string, channel: string, lastEventId: string): string {
  return JSON.stringify({ type: 'replay_gap', topic, channel, lastEventId });
}

/** Orders two stream entry ids; negative when `a` comes first. */
export function compareEventIds(a: string, b: string): number {
  const [aMs = '0', aSeq = '0'] = a.split('-');
  const [bMs = '0', bSeq = '0'] = b.split('-');
  const byMs = BigInt(aMs) - BigInt(bMs);
  if (byMs !== 0n) {
    return byMs < 0n ? -1 : 1;
  }
  const bySeq = BigInt(aSeq) - BigInt(bSeq);
  if (bySeq === 0n) {
    return 0;
  }
  return bySeq < 0n ? -1 : 1;
}
