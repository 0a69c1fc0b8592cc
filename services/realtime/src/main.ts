import { ConfigError, createServiceLogger, loadConfig, runService } from '@backbone/platform';

import { realtimeConfigShape } from './config';
import { type RealtimeConfig, startRealtime } from './realtime';

let config: RealtimeConfig;
try {
  config = loadConfig(realtimeConfigShape);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const logger = createServiceLogger('realtime', config);

void runService({
  name: 'realtime',
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  start: async (lifecycle) => {
    await startRealtime(config, { logger, lifecycle });
  },
});
