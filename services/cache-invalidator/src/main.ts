import { ConfigError, createServiceLogger, loadConfig, runService } from '@backbone/platform';

import { SERVICE_NAME, startCacheInvalidator } from './cache-invalidator';
import { type CacheInvalidatorConfig, cacheInvalidatorConfigShape } from './config';

let config: CacheInvalidatorConfig;
try {
  config = loadConfig(cacheInvalidatorConfigShape);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createServiceLogger(SERVICE_NAME, config);

void runService({
  name: SERVICE_NAME,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  async start(lifecycle) {
    await startCacheInvalidator(config, { logger, lifecycle });
  },
});
