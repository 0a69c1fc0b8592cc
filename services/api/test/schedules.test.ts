import { findSchedule, QueueNames, ScheduleIds } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { AUTH, startTestApi, type TestApi } from './helpers';

describe('api schedules', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let testApi: TestApi;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    testApi = await startTestApi(server);
  });

  beforeEach(async () => {
    await redis.flushdb();
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  it('lists schedules without a next run before registration', async () => {
    const response = await testApi.http.get('/v1/schedules').set('Authorization', AUTH);

    expect(response.status).toBe(200);
    expect(response.body.schedules).toEqual([
      expect.objectContaining({
        id: 'activate-tournaments',
        queue: 'scheduler',
        pattern: '0 * * * *',
        timeZone: 'UTC',
        registered: false,
        nextRunAt: null,
      }),
    ]);
  });

  it('shows the next run once registered', async () => {
    const schedule = findSchedule(ScheduleIds.activateTournaments)!;
    const queue = new Queue(QueueNames.scheduler, { connection: redis });
    await queue.upsertJobScheduler(
      schedule.id,
      { pattern: schedule.pattern, tz: schedule.timeZone },
      { name: schedule.jobName, data: schedule.data },
    );
    await queue.close();

    const response = await testApi.http.get('/v1/schedules').set('Authorization', AUTH);

    const [listed] = response.body.schedules;
    expect(listed.registered).toBe(true);
    expect(new Date(listed.nextRunAt).getUTCMinutes()).toBe(0);
    expect(Date.parse(listed.nextRunAt)).toBeGreaterThan(Date.now());
  });

  it('runs a schedule now', async () => {
    const response = await testApi.http
      .post(`/v1/schedules/${ScheduleIds.activateTournaments}/run`)
      .set('Authorization', AUTH)
      .set('X-Request-Id', 'run-now-1');

    expect(response.status).toBe(202);
    const job = await Job.fromId(new Queue(QueueNames.scheduler, { connection: redis }), response.body.id);
    expect(job?.name).toBe('activate-tournaments');
    expect(job?.data).toEqual({ _meta: { requestId: 'run-now-1' } });
  });
});
