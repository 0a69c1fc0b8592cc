import { JobNames, QueueNames } from '@backbone/contracts';
import { JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';

import { startWorker, type WorkerHandle } from '../src/worker';
import { captureLogger, sleep, waitFor, waitForJobEnd, workerConfig } from './support/helpers';

const PREFIX = 'outage-test';
const DELAY_MS = 5_000;

describe('worker across a Redis restart', () => {
  let server: RedisTestServer;
  let worker: WorkerHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start({ appendOnly: true });
  });

  afterAll(async () => {
    await worker?.stop();
    await server.cleanup();
  });

  it('resumes by itself and promotes delayed jobs on time', async () => {
    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.scheduler,
    });
    worker = await startWorker(config, { logger: captureLogger().logger, opsHost: '127.0.0.1' });
    const readyz = `http://127.0.0.1:${worker.opsPort}/readyz`;
    let producer = new JobProducer(server.client(), { prefix: PREFIX });
    const delayed = await producer.enqueue(
      QueueNames.scheduler,
      JobNames.activateTournaments,
      {},
      { delayMs: DELAY_MS },
    );
    const dueAt = delayed.timestamp + DELAY_MS;
    await producer.close();

    await server.stop();
    const outage = await waitFor(async () => {
      const response = await fetch(readyz);
      return response.status === 503 ? ((await response.json()) as { checks: Record<string, boolean> }) : undefined;
    });
    await sleep(1_500);
    await server.restart();

    producer = new JobProducer(server.client(), { prefix: PREFIX });
    const queue = producer.queue(QueueNames.scheduler);
    const promoted = await waitForJobEnd(queue, delayed.id!, 20_000);
    const fresh = await producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, {});
    const freshEnd = await waitForJobEnd(queue, fresh.id!, 10_000);
    const ready = await waitFor(async () => ((await fetch(readyz)).status === 200 ? true : undefined));
    await producer.close();

    expect(outage.checks.redis).toBe(false);
    expect(promoted.state).toBe('completed');
    expect(promoted.job.processedOn).toBeGreaterThanOrEqual(dueAt);
    expect(promoted.job.processedOn! - dueAt).toBeLessThan(3_000);
    expect(freshEnd.state).toBe('completed');
    expect(ready).toBe(true);
  }, 40_000);
});
