import { randomUUID } from 'node:crypto';

import { JobNames, QueueNames } from '@backbone/contracts';
import { createMetricsRegistry, createRedisConnection, JobProducer, ValidationError } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

describe('JobProducer', () => {
  let server: RedisTestServer;
  let connection: Redis;
  let producer: JobProducer;
  let prefix: string;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    connection = createRedisConnection(server.url(), 'producer');
  });

  beforeEach(() => {
    // A prefix per test isolates queues without flushing anything.
    prefix = `t${randomUUID().slice(0, 8)}`;
    producer = new JobProducer(connection, { prefix });
  });

  afterEach(async () => {
    await producer.close();
  });

  afterAll(async () => {
    connection.disconnect();
    await server.cleanup();
  });

  async function keysUnder(): Promise<string[]> {
    return connection.keys(`${prefix}:*`);
  }

  it('adds a valid job with the contract defaults', async () => {
    const job = await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, {
      mapId: 'map-1',
      sourceKey: 'originals/map-1.jpg',
    });

    expect(job.name).toBe('map-image');
    expect(job.data).toEqual({ mapId: 'map-1', sourceKey: 'originals/map-1.jpg' });
    expect(job.opts.attempts).toBe(3);
    expect(job.opts.removeOnComplete).toEqual({ count: 1_000, age: 86_400 });
    await expect(producer.queue(QueueNames.imageProcessing).getJobCounts('wait')).resolves.toEqual({ wait: 1 });
  });

  it('stores the request id beside the payload', async () => {
    const job = await producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, {}, { requestId: 'req-7' });

    expect(job.data).toEqual({ _meta: { requestId: 'req-7' } });
  });

  it('rejects a bad payload and leaves Redis untouched', async () => {
    const attempt = producer.add(QueueNames.sendEmail, JobNames.sendEmail, { to: 'nobody', subject: '' });

    await expect(attempt).rejects.toThrow(ValidationError);
    const error = (await attempt.catch((caught: unknown) => caught)) as ValidationError;
    expect(error.code).toBe('validation_failed');
    expect(error.issues.map((issue) => issue.path.join('.'))).toEqual(
      expect.arrayContaining(['data.to', 'data.subject']),
    );
    await expect(keysUnder()).resolves.toEqual([]);
  });

  it('rejects an unknown job name with the accepted names', async () => {
    const attempt = producer.add(QueueNames.scheduler, 'explode', {});

    await expect(attempt).rejects.toMatchObject({
      issues: [{ path: ['name'], message: expect.stringContaining('activate-tournaments') }],
    });
    await expect(keysUnder()).resolves.toEqual([]);
  });

  it.each([
    ['a job id with a colon', { jobId: 'a:b' }, 'jobId'],
    ['an integer-looking job id', { jobId: '42' }, 'jobId'],
    ['a negative delay', { delayMs: -1 }, 'delayMs'],
    ['a priority above the BullMQ maximum', { priority: 2_097_153 }, 'priority'],
  ])('rejects %s', async (_case, options, field) => {
    const attempt = producer.add(QueueNames.scheduler, JobNames.activateTournaments, {}, options);

    await expect(attempt).rejects.toMatchObject({ issues: [{ path: [field] }] });
    await expect(keysUnder()).resolves.toEqual([]);
  });

  it('applies delay and priority', async () => {
    await producer.add(QueueNames.scheduler, JobNames.activateTournaments, {}, { delayMs: 60_000 });
    await producer.add(QueueNames.scheduler, JobNames.activateTournaments, {}, { priority: 5 });

    const counts = await producer.queue(QueueNames.scheduler).getJobCounts('delayed', 'prioritized', 'wait');
    expect(counts).toEqual({ delayed: 1, prioritized: 1, wait: 0 });
  });

  it('adds a batch in one call', async () => {
    const jobs = Array.from({ length: 50 }, () => ({ name: JobNames.activateTournaments, data: {} }));

    const added = await producer.addBulk(QueueNames.scheduler, jobs);

    expect(added).toHaveLength(50);
    await expect(producer.queue(QueueNames.scheduler).getJobCounts('wait')).resolves.toEqual({ wait: 50 });
  });

  it('rejects a whole batch when one job is invalid', async () => {
    const jobs = [
      { name: JobNames.mapImage, data: { mapId: 'm1', sourceKey: 'a.jpg' } },
      { name: JobNames.mapImage, data: { mapId: 'm2', sourceKey: '../a.jpg' } },
      { name: JobNames.mapImage, data: { mapId: 'm3', sourceKey: 'c.jpg' } },
    ];

    const attempt = producer.addBulk(QueueNames.imageProcessing, jobs);

    await expect(attempt).rejects.toMatchObject({ issues: [{ path: ['jobs', 1, 'data', 'sourceKey'] }] });
    await expect(keysUnder()).resolves.toEqual([]);
  });

  it('counts added jobs per queue', async () => {
    const registry = createMetricsRegistry('test', { defaultMetrics: false });
    const counted = new JobProducer(connection, { prefix, metrics: registry });

    await counted.add(QueueNames.scheduler, JobNames.activateTournaments, {});
    await counted.addBulk(QueueNames.scheduler, [{ name: JobNames.activateTournaments, data: {} }]);

    expect(await registry.metrics()).toContain('jobs_added_total{queue="scheduler",service="test"} 2');
    await counted.close();
  });
});
