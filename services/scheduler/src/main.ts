import { ConfigError, createServiceLogger, loadConfig, runService } from '@backbone/platform';

import { type SchedulerConfig, schedulerConfigShape } from './config';
import { startScheduler } from './scheduler';

function main(): void {
  let config: SchedulerConfig;
  try {
    config = loadConfig(schedulerConfigShape);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createServiceLogger('scheduler', config);
  void runService({
    name: 'scheduler',
    logger,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    start: async (lifecycle) => {
      const scheduler = await startScheduler(config, { logger });
      lifecycle.add('scheduler', () => scheduler.stop());
    },
  });
}

main();
