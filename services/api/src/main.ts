import { ConfigError, createServiceLogger, loadConfig, runService } from '@backbone/platform';

import { startApi } from './app';
import { apiConfigShape, checkApiConfig } from './config';

function readConfig() {
  try {
    const config = loadConfig(apiConfigShape);
    checkApiConfig(config);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = readConfig();
const logger = createServiceLogger('api', config);

void runService({
  name: 'api',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async (lifecycle) => {
    const api = await startApi(config, { logger });
    lifecycle.add('api', () => api.stop());
  },
});
