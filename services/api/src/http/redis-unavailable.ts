/**
 * Messages of ioredis errors that mean the server cannot be reached (ioredis
 * 6.1): an offline fail-fast connection, a connection closed under a
 * command, exhausted retries, and socket errors.
 */
const CONNECTION_ERROR_PATTERN =
  /enableOfflineQueue|Connection is closed|max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Stream isn't writeable/i;

/**
 * Tells whether `error` comes from Redis being unreachable rather than from
 * a bad command. Any error thrown while the connection is not ready counts,
 * because ioredis phrases the same outage in several ways.
 */
export function isRedisUnavailable(error: unknown, connectionReady: boolean): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  if (error.name === 'MaxRetriesPerRequestError') {
    return true;
  }
  return CONNECTION_ERROR_PATTERN.test(error.message) || !connectionReady;
}
