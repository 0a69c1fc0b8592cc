import { randomUUID } from 'node:crypto';

import { JobNames, QueueNames } from '@backbone/contracts';
import { createRedisConnection, JobProducer, readJob, waitForRedisReady } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

describe('readJob', () => {
  let server: RedisTestServer;
  let connection: Redis;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    connection = createRedisConnection(server.url(), 'worker');
    await waitForRedisReady(connection);
  });

  afterAll(async () => {
    connection.disconnect();
    await server.cleanup();
  });

  it('returns the payload and the request id of a valid job', () => {
    const job = { name: JobNames.mapImage, data: { mapId: 'm1', sourceKey: 'a.jpg', _meta: { requestId: 'r1' } } };

    const { data, meta } = readJob(QueueNames.imageProcessing, JobNames.mapImage, job);

    expect(data).toEqual({ mapId: 'm1', sourceKey: 'a.jpg' });
    expect(meta).toEqual({ requestId: 'r1' });
  });

  it('fails a malformed job once, without retries', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    // A raw BullMQ queue plays a producer that skipped validation.
    const rawQueue = new Queue(QueueNames.imageProcessing, { connection, prefix });
    const events = new QueueEvents(QueueNames.imageProcessing, { connection: server.client(), prefix });
    await events.waitUntilReady();
    let processed = 0;
    const worker = new Worker(
      QueueNames.imageProcessing,
      async (job) => {
        processed += 1;
        readJob(QueueNames.imageProcessing, JobNames.mapImage, job);
      },
      { connection, prefix },
    );

    const job = await rawQueue.add(JobNames.mapImage, { mapId: 42 }, { attempts: 5, backoff: 10 });
    await job.waitUntilFinished(events).catch(() => undefined);

    const failed = await rawQueue.getJob(job.id!);
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1);
    expect(processed).toBe(1);
    expect(failed?.failedReason).toContain('data.mapId');
    expect(failed?.failedReason).toContain('data.sourceKey');

    await worker.close();
    await events.close();
    await rawQueue.close();
  });

  it('accepts what the producer wrote', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const producer = new JobProducer(connection, { prefix });

    const job = await producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, {}, { requestId: 'abc' });

    expect(readJob(QueueNames.scheduler, JobNames.activateTournaments, job)).toEqual({
      data: {},
      meta: { requestId: 'abc' },
    });
    await producer.close();
  });
});
