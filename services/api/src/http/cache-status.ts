import type { Response } from 'express';

/** Cache name in the `Cache-Status` header (RFC 9211) of responses read through the cache-aside layer. */
export const CACHE_STATUS_NAME = 'backbone-api';

/**
 * Sets `Cache-Status` on a response read through the cache: `hit` when the
 * entry came from Redis, `fwd=miss` when the store was read instead.
 */
export function setCacheStatus(response: Response, hit: boolean): void {
  response.set('Cache-Status', hit ? `${CACHE_STATUS_NAME}; hit` : `${CACHE_STATUS_NAME}; fwd=miss`);
}
