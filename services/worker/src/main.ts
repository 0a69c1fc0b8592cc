import { ConfigError, createServiceLogger, loadConfig, runService } from '@backbone/platform';

import { workerConfigShape } from './config';
import { startWorker } from './worker';

let config: ReturnType<typeof loadConfig<typeof workerConfigShape>>;
try {
  config = loadConfig(workerConfigShape);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createServiceLogger('worker', config);

void runService({
  name: 'worker',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async (lifecycle) => {
    await startWorker(config, { logger, lifecycle });
  },
});
