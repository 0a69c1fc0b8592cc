import { JobNames, QueueNames } from '@backbone/contracts';
import { createLogger, loadConfig, readJob } from '@backbone/platform';
import { defineProcessor, type JobHandler, startWorker, workerConfigShape } from '@backbone/worker';
import type { Job } from 'bullmq';

import { type JobKind, jobKindSchema, runJobKind } from '../job-kinds';

/*
 * The worker service's own processing path (its BullMQ workers, job runner,
 * logging, metrics and shutdown) with the `activate-tournaments` processor
 * replaced by a benchmark job: a no-op, a 20 ms wait or 5 ms of CPU. The job
 * still validates its payload as every processor does. Started as a child
 * process; sends its parent an IPC message once ready.
 */

const kind: JobKind = jobKindSchema.parse(process.env.BENCH_JOB_KIND ?? 'noop');
const config = loadConfig(workerConfigShape, { env: process.env });
const logger = createLogger({ service: 'worker', level: config.LOG_LEVEL, format: 'json' });

const benchHandler: JobHandler = async (job: Job) => {
  readJob(QueueNames.scheduler, JobNames.activateTournaments, job);
  await runJobKind(kind);
};
const unused: JobHandler = async () => {
  throw new Error('not used by the benchmark');
};

startWorker(config, {
  logger,
  opsHost: '127.0.0.1',
  processors: () => [
    defineProcessor(QueueNames.scheduler, JobNames.activateTournaments, benchHandler),
    defineProcessor(QueueNames.imageProcessing, JobNames.mapImage, unused),
    defineProcessor(QueueNames.sendEmail, JobNames.sendEmail, unused),
  ],
}).then(
  (handle) => {
    process.send?.({ ready: true });
    process.once('SIGTERM', () => {
      void handle.stop().then((clean) => process.exit(clean ? 0 : 1));
    });
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
