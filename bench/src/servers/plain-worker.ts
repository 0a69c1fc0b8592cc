import { QueueNames } from '@backbone/contracts';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { type JobKind, jobKindSchema, runJobKind } from '../job-kinds';

/*
 * The baseline: a plain BullMQ Worker on the same queue with the same
 * concurrency and benchmark job, without validation, logging or metrics.
 * Started as a child process; sends its parent an IPC message once ready.
 */

const kind: JobKind = jobKindSchema.parse(process.env.BENCH_JOB_KIND ?? 'noop');
const connection = new Redis(process.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
const worker = new Worker(QueueNames.scheduler, async () => runJobKind(kind), {
  connection,
  prefix: process.env.BULLMQ_PREFIX ?? 'bull',
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 1),
});

worker.waitUntilReady().then(
  () => process.send?.({ ready: true }),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
process.once('SIGTERM', () => {
  void worker.close().then(() => {
    connection.disconnect();
    process.exit(0);
  });
});
