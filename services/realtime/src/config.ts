import { durationMsSchema, portSchema } from '@backbone/platform';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

/** Variables of the realtime gateway, on top of the common ones. */
export const realtimeConfigShape = {
  /** Port of the WebSocket endpoint `/v1/realtime` and of `/healthz`, `/readyz` and `/metrics`. */
  REALTIME_PORT: portSchema.default(3001),
  /** Comma-separated tokens that clients may present; spaces around commas are ignored. */
  REALTIME_TOKENS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token !== ''),
    )
    .pipe(z.array(z.string().min(8, 'every token must have at least 8 characters')).min(1, 'must list a token')),
  /** Open WebSocket connections this instance accepts; further clients are closed with 1013. */
  REALTIME_MAX_CONNECTIONS: positiveInt.default(10_000),
  REALTIME_MAX_SUBSCRIPTIONS_PER_CONNECTION: positiveInt.default(50),
  /** Largest message a client may send; a larger one closes the connection with 1009. */
  REALTIME_MAX_MESSAGE_BYTES: positiveInt.default(4_096),
  /** Bytes queued for a client that has not read them; past this the client is closed with 4408. */
  REALTIME_MAX_BUFFERED_BYTES: positiveInt.default(1_048_576),
  /** Time between pings; a client that has not replied to the previous ping by then is dropped. */
  REALTIME_HEARTBEAT_INTERVAL_MS: durationMsSchema.default(30_000),
};

export type RealtimeConfigShape = typeof realtimeConfigShape;
