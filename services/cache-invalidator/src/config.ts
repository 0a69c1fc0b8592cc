import { durationMsSchema, type ServiceConfig } from '@backbone/platform';

/** Variables of the cache-invalidator beyond the common ones. */
export const cacheInvalidatorConfigShape = {
  /** Pause before the next attempt when bumping the cache generations after a (re)subscription failed. */
  CACHE_INVALIDATOR_RETRY_DELAY_MS: durationMsSchema.default(1_000),
};

export type CacheInvalidatorConfig = ServiceConfig<typeof cacheInvalidatorConfigShape>;
