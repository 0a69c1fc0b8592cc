import { JobNames, QueueNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import { AUTH, keySnapshot, startTestApi, type TestApi, totalJobs } from './helpers';

const email = { to: 'player@example.com', subject: 'Hello', text: 'Welcome' };

describe('api jobs', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let testApi: TestApi;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    testApi = await startTestApi(server);
  });

  beforeEach(async () => {
    // The suite's own server: flushing it touches nothing else.
    await redis.flushdb();
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  const queue = (name: string) => new Queue(name, { connection: redis });

  it('adds a job and answers 202', async () => {
    const response = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .set('X-Request-Id', 'req-add-1')
      .send({ name: JobNames.sendEmail, data: email });

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ queue: 'send-email', name: 'send-email', state: 'waiting' });
    expect(response.body.statusUrl).toBe(`/v1/queues/send-email/jobs/${response.body.id}`);
    expect(response.headers.location).toBe(response.body.statusUrl);
    const job = await Job.fromId(queue(QueueNames.sendEmail), response.body.id);
    expect(job?.data).toEqual({ ...email, _meta: { requestId: 'req-add-1' } });
  });

  it('reports delayed and prioritized states', async () => {
    const delayed = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email, delayMs: 60_000 });
    const prioritized = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email, priority: 5 });

    expect(delayed.body.state).toBe('delayed');
    expect(prioritized.body.state).toBe('prioritized');
    await expect(queue(QueueNames.sendEmail).getJobState(delayed.body.id)).resolves.toBe('delayed');
    await expect(queue(QueueNames.sendEmail).getJobState(prioritized.body.id)).resolves.toBe('prioritized');
  });

  it('lists queues with waiting including prioritized', async () => {
    for (const priority of [0, 3, 7]) {
      await testApi.http
        .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
        .set('Authorization', AUTH)
        .send({ name: JobNames.sendEmail, data: email, priority });
    }

    const response = await testApi.http.get('/v1/queues').set('Authorization', AUTH);

    expect(response.status).toBe(200);
    const sendEmail = response.body.queues.find((entry: { name: string }) => entry.name === 'send-email');
    expect(sendEmail.counts.waiting).toBe(3);
    expect(sendEmail.counts.prioritized).toBe(2);
    expect(response.body.queues.map((entry: { name: string }) => entry.name).sort()).toEqual(
      ['image-processing', 'scheduler', 'send-email'].sort(),
    );
  });

  it('adds a batch in one call', async () => {
    const jobs = Array.from({ length: 1_000 }, (_, index) => ({
      name: JobNames.sendEmail,
      data: { ...email, subject: `Hello ${index}` },
    }));

    const response = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs/batch`)
      .set('Authorization', AUTH)
      .send({ jobs });

    expect(response.status).toBe(202);
    expect(response.body.jobs).toHaveLength(1_000);
    await expect(queue(QueueNames.sendEmail).getJobCountByTypes('wait')).resolves.toBe(1_000);
  });

  it('rejects a batch with one invalid job', async () => {
    const before = await keySnapshot(redis);
    const jobs = [
      { name: JobNames.sendEmail, data: email },
      { name: JobNames.sendEmail, data: { ...email, to: 'not-an-address' } },
    ];

    const response = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs/batch`)
      .set('Authorization', AUTH)
      .send({ jobs });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.errors).toEqual([{ pointer: '#/jobs/1/data/to', detail: expect.any(String) }]);
    await expect(totalJobs(redis)).resolves.toBe(0);
    await expect(keySnapshot(redis)).resolves.toEqual(before);
  });

  it('rejects a batch over 1,000 jobs', async () => {
    const jobs = Array.from({ length: 1_001 }, () => ({ name: JobNames.sendEmail, data: email }));

    const response = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs/batch`)
      .set('Authorization', AUTH)
      .send({ jobs });

    expect(response.status).toBe(400);
    expect(response.body.errors[0].pointer).toBe('#/jobs');
    await expect(totalJobs(redis)).resolves.toBe(0);
  });

  it('reads a completed job with its result', async () => {
    const added = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email });
    const worker = new Worker(QueueNames.sendEmail, async () => ({ messageId: 'm-1' }), {
      connection: server.client(),
    });
    await new Promise((resolve) => worker.once('completed', resolve));
    await worker.close();

    const response = await testApi.http.get(added.body.statusUrl).set('Authorization', AUTH);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: added.body.id,
      state: 'completed',
      result: { messageId: 'm-1' },
      attemptsMade: 1,
      maxAttempts: 5,
      failedReason: null,
    });
  });

  it('retries a failed job', async () => {
    const added = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email });
    const worker = new Worker(
      QueueNames.sendEmail,
      async () => {
        throw new UnrecoverableError('mailbox does not exist');
      },
      { connection: server.client() },
    );
    await new Promise((resolve) => worker.once('failed', resolve));
    await worker.close();

    const failed = await testApi.http.get(added.body.statusUrl).set('Authorization', AUTH);
    const retried = await testApi.http.post(`${added.body.statusUrl}/retry`).set('Authorization', AUTH);

    expect(failed.body).toMatchObject({ state: 'failed', failedReason: 'mailbox does not exist' });
    expect(retried.status).toBe(202);
    await expect(queue(QueueNames.sendEmail).getJobState(added.body.id)).resolves.toBe('waiting');
  });

  it('refuses to retry a waiting job', async () => {
    const added = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email });

    const response = await testApi.http.post(`${added.body.statusUrl}/retry`).set('Authorization', AUTH);

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('job_not_failed');
    await expect(queue(QueueNames.sendEmail).getJobState(added.body.id)).resolves.toBe('waiting');
    await expect(totalJobs(redis)).resolves.toBe(1);
  });

  it('answers 404 for an unknown job', async () => {
    const response = await testApi.http
      .get(`/v1/queues/${QueueNames.sendEmail}/jobs/404404`)
      .set('Authorization', AUTH);
    const retry = await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs/404404/retry`)
      .set('Authorization', AUTH);

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('job_not_found');
    expect(retry.status).toBe(404);
    expect(retry.body.code).toBe('job_not_found');
  });

  describe('Idempotency-Key', () => {
    const post = (key: string, data: object) =>
      testApi.http
        .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
        .set('Authorization', AUTH)
        .set('Idempotency-Key', key)
        .send({ name: JobNames.sendEmail, data });

    it('replays the first job for a repeated key', async () => {
      const first = await post('key-1', email);
      const second = await post('key-1', { text: 'Welcome', subject: 'Hello', to: 'player@example.com' });

      expect(first.status).toBe(202);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers['idempotent-replayed']).toBe('true');
      await expect(totalJobs(redis)).resolves.toBe(1);
    });

    it('replays after the job was removed', async () => {
      const first = await post('key-removed', email);
      await (await Job.fromId(queue(QueueNames.sendEmail), first.body.id))!.remove();

      const second = await post('key-removed', email);

      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      expect(second.body.state).toBe('unknown');
      await expect(totalJobs(redis)).resolves.toBe(0);
    });

    it('rejects a reused key with another body', async () => {
      await post('key-2', email);

      const response = await post('key-2', { ...email, subject: 'Other' });

      expect(response.status).toBe(409);
      expect(response.body.code).toBe('idempotency_key_reused');
      await expect(totalJobs(redis)).resolves.toBe(1);
    });

    it('adds one job for concurrent identical requests', async () => {
      const responses = await Promise.all(Array.from({ length: 10 }, () => post('key-concurrent', email)));

      const ids = new Set(responses.map((response) => response.body.id));
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202));
      expect(ids.size).toBe(1);
      await expect(totalJobs(redis)).resolves.toBe(1);
    });

    it('stores no key for an invalid request', async () => {
      const invalid = await post('key-invalid', { ...email, to: 'nobody' });
      const valid = await post('key-invalid', email);

      expect(invalid.status).toBe(400);
      expect(valid.status).toBe(202);
      expect(valid.headers['idempotent-replayed']).toBeUndefined();
    });

    it('keeps the key for the configured retention', async () => {
      await post('key-ttl', email);

      const keys = await redis.keys('api:idempotency:*');
      const ttl = await redis.ttl(keys[0]!);

      expect(keys).toHaveLength(1);
      expect(ttl).toBeGreaterThan(24 * 3600 - 60);
      expect(ttl).toBeLessThanOrEqual(24 * 3600);
    });

    it('replays a batch with the same ids', async () => {
      const jobs = [
        { name: JobNames.sendEmail, data: email },
        { name: JobNames.sendEmail, data: { ...email, subject: 'Second' }, priority: 2 },
      ];
      const postBatch = (body: object) =>
        testApi.http
          .post(`/v1/queues/${QueueNames.sendEmail}/jobs/batch`)
          .set('Authorization', AUTH)
          .set('Idempotency-Key', 'batch-key')
          .send(body);

      const first = await postBatch({ jobs });
      const second = await postBatch({ jobs });
      const changed = await postBatch({ jobs: jobs.slice(1) });

      expect(first.status).toBe(202);
      expect(second.status).toBe(202);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body.jobs.map((job: { id: string }) => job.id)).toEqual(
        first.body.jobs.map((job: { id: string }) => job.id),
      );
      expect(second.body.jobs.map((job: { state: string }) => job.state)).toEqual(['waiting', 'prioritized']);
      expect(changed.status).toBe(409);
      expect(changed.body.code).toBe('idempotency_key_reused');
      await expect(totalJobs(redis)).resolves.toBe(2);
    });

    it('stores no key for an invalid batch', async () => {
      const response = await testApi.http
        .post(`/v1/queues/${QueueNames.sendEmail}/jobs/batch`)
        .set('Authorization', AUTH)
        .set('Idempotency-Key', 'bad-batch')
        .send({ jobs: [{ name: JobNames.sendEmail, data: { to: 'nobody' } }] });

      expect(response.status).toBe(400);
      await expect(redis.keys('api:idempotency:*')).resolves.toEqual([]);
      await expect(totalJobs(redis)).resolves.toBe(0);
    });

    it('rejects a malformed key', async () => {
      const response = await post('with space', email);

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ pointer: '#/Idempotency-Key', detail: expect.any(String) }]);
      await expect(totalJobs(redis)).resolves.toBe(0);
    });
  });
});
