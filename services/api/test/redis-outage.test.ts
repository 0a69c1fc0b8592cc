import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { JobNames, QueueNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Response } from 'supertest';

import { AUTH, BOARD_PASSWORD, BOARD_USER, eventually, startTestApi, type TestApi } from './helpers';

const email = { to: 'player@example.com', subject: 'Hello', text: 'Welcome' };
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);

/** Generous bound for "answered within a few seconds, never a hang". */
const MAX_OUTAGE_ANSWER_MS = 4_000;

describe('api while Redis is down', () => {
  let server: RedisTestServer;
  let testApi: TestApi;
  let mapId: string;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    testApi = await startTestApi(server);
    const map = await testApi.http.post('/v1/maps').set('Authorization', AUTH).send({ name: 'Dust' });
    mapId = map.body.id;

    const accepted = await addJob();
    expect(accepted.status).toBe(202);
    await server.stop();
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  const addJob = () =>
    testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email });

  async function timed(send: () => Promise<Response>): Promise<{ response: Response; elapsedMs: number }> {
    const startedAt = Date.now();
    const response = await send();
    return { response, elapsedMs: Date.now() - startedAt };
  }

  const expectUnavailable = ({ response, elapsedMs }: { response: Response; elapsedMs: number }) => {
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('service_unavailable');
    expect(response.headers['retry-after']).toBe('5');
    expect(elapsedMs).toBeLessThan(MAX_OUTAGE_ANSWER_MS);
  };

  it.each([
    ['adding a job', () => addJob()],
    ['adding a job with Idempotency-Key', () => addJob().set('Idempotency-Key', 'outage-key')],
    ['listing queues', () => testApi.http.get('/v1/queues').set('Authorization', AUTH)],
    ['reading a job', () => testApi.http.get('/v1/queues/send-email/jobs/1').set('Authorization', AUTH)],
    ['reading a map', () => testApi.http.get(`/v1/maps/${mapId}`).set('Authorization', AUTH)],
    ['listing tournaments', () => testApi.http.get('/v1/tournaments').set('Authorization', AUTH)],
    [
      'creating a tournament',
      () =>
        testApi.http
          .post('/v1/tournaments')
          .set('Authorization', AUTH)
          .send({ name: 'Cup', startsAt: '2027-01-10T18:00:00Z' }),
    ],
    [
      'publishing an event',
      () =>
        testApi.http
          .post('/v1/events/tournament:activated')
          .set('Authorization', AUTH)
          .send({ tournamentId: 't-1', timestamp: '2026-12-04T18:00:00.000Z' }),
    ],
    ['listing schedules', () => testApi.http.get('/v1/schedules').set('Authorization', AUTH)],
    ['the board queue API', () => testApi.http.get('/admin/queues/api/queues').auth(BOARD_USER, BOARD_PASSWORD)],
  ])('answers 503 for %s', async (_what, send) => {
    expectUnavailable(await timed(send));
  });

  it('answers 503 for an image upload and keeps no original', async () => {
    const result = await timed(() =>
      testApi.http.put(`/v1/maps/${mapId}/image`).set('Authorization', AUTH).set('Content-Type', 'image/png').send(png),
    );

    expectUnavailable(result);
    const originals = join(testApi.mediaDir, 'originals');
    const stored = existsSync(originals) ? readdirSync(originals, { recursive: true }) : [];
    expect(stored.filter((entry) => String(entry).endsWith('.png'))).toEqual([]);
  });

  it('reports not ready but alive', async () => {
    const ready = await testApi.http.get('/readyz');
    const health = await testApi.http.get('/healthz');

    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ redis: false });
    expect(health.status).toBe(200);
  });

  it('accepts jobs again after Redis returns', async () => {
    await server.restart();

    const accepted = await eventually(async () => {
      const response = await addJob();
      return response.status === 202 ? response : undefined;
    }, 10_000);

    expect(accepted.body.state).toBe('waiting');
    expect((await testApi.http.get('/readyz')).status).toBe(200);
  });
});
