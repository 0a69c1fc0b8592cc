import { JobNames, QueueNames, queues } from '@backbone/contracts';
import { JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';

import { concurrencyVariable } from '../src/config';
import { startWorker, type WorkerHandle } from '../src/worker';
import { captureLogger, waitFor, workerConfig } from './support/helpers';

const PREFIX = 'memory-test';
const COMPLETED_JOBS = 3_000;
const FAILED_JOBS = 1_500;
const BATCH = 500;

describe('job retention', () => {
  let server: RedisTestServer;
  let worker: WorkerHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await server.cleanup();
  });

  it('keeps job keys within the contract caps after thousands of jobs', async () => {
    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.scheduler,
      [concurrencyVariable(QueueNames.scheduler)]: '50',
      LOG_LEVEL: 'error',
    });
    worker = await startWorker(config, { logger: captureLogger().logger, opsHost: '127.0.0.1' });
    const producer = new JobProducer(server.client(), { prefix: PREFIX });
    const queue = producer.queue(QueueNames.scheduler);
    const { removeOnComplete, removeOnFail } = queues[QueueNames.scheduler].defaultJobOptions;

    for (let added = 0; added < COMPLETED_JOBS; added += BATCH) {
      await producer.addBulk(
        QueueNames.scheduler,
        Array.from({ length: BATCH }, () => ({ name: JobNames.activateTournaments, data: {} })),
      );
    }
    for (let added = 0; added < FAILED_JOBS; added += BATCH) {
      // Payloads the contract rejects, added past the producer's check, so each ends failed.
      await queue.addBulk(
        Array.from({ length: BATCH }, () => ({ name: JobNames.activateTournaments, data: { x: 1 } })),
      );
    }
    await waitFor(
      async () => {
        const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        return Object.values(counts).every((count) => count === 0);
      },
      60_000,
      'every job to finish',
    );
    await producer.close();

    const keys = await server.client().keys(`${PREFIX}:${QueueNames.scheduler}:*`);
    const jobKeys = keys.filter((key) => /^[^:]+:[^:]+:\d+$/.test(key));
    const counts = await queue.getJobCounts('completed', 'failed');
    expect(counts.completed).toBe(removeOnComplete.count);
    expect(counts.failed).toBe(removeOnFail.count);
    expect(jobKeys.length).toBeLessThanOrEqual(removeOnComplete.count + removeOnFail.count);
  }, 90_000);
});
