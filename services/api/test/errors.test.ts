import { JobNames, QueueNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';
import type { Response } from 'supertest';

import { API_KEY, AUTH, future, keySnapshot, recordEvents, startTestApi, type TestApi, totalJobs } from './helpers';

const email = { to: 'player@example.com', subject: 'Hello', text: 'Welcome' };

describe('api errors', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let testApi: TestApi;
  let events: { channel: string; event: unknown }[];
  let before: string[];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    testApi = await startTestApi(server, { API_JSON_BODY_LIMIT_BYTES: '1024' });
    events = await recordEvents(server);
  });

  beforeEach(async () => {
    await redis.flushdb();
    events.length = 0;
    before = await keySnapshot(redis);
  });

  afterEach(async () => {
    // Every case here is a rejected request: it must enqueue, publish and store nothing.
    await expect(totalJobs(redis)).resolves.toBe(0);
    await expect(keySnapshot(redis)).resolves.toEqual(before);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual([]);
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  const expectProblem = (response: Response, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status, code, type: `urn:game-backbone:problem:${code}` });
    expect(typeof response.body.title).toBe('string');
    expect(typeof response.body.detail).toBe('string');
  };

  const postJob = () => testApi.http.post(`/v1/queues/${QueueNames.sendEmail}/jobs`).set('Authorization', AUTH);

  it('answers 400 for invalid JSON', async () => {
    const response = await postJob().set('Content-Type', 'application/json').send('{"name": ');

    expectProblem(response, 400, 'invalid_json');
  });

  it('lists every invalid field with pointer', async () => {
    const response = await postJob().send({ name: JobNames.sendEmail, data: { to: 'nobody', text: 5 }, priority: -1 });

    expectProblem(response, 400, 'validation_failed');
    const pointers = response.body.errors.map((error: { pointer: string }) => error.pointer).sort();
    expect(pointers).toEqual(['#/data/text', '#/data/to', '#/priority']);
  });

  it('rejects an unknown job name', async () => {
    const response = await postJob().send({ name: 'mine-bitcoin', data: {} });

    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ pointer: '#/name', detail: expect.stringContaining('send-email') }]);
  });

  it('rejects an invalid tournament', async () => {
    const response = await testApi.http
      .post('/v1/tournaments')
      .set('Authorization', AUTH)
      .send({ name: '', startsAt: 'tomorrow' });

    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.map((error: { pointer: string }) => error.pointer).sort()).toEqual([
      '#/name',
      '#/startsAt',
    ]);
  });

  it('rejects a map of an unknown tournament', async () => {
    const response = await testApi.http
      .post('/v1/maps')
      .set('Authorization', AUTH)
      .send({ name: 'Dust', tournamentId: 'missing' });

    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ pointer: '#/tournamentId', detail: 'no tournament has this id' }]);
  });

  it('rejects an unknown tournament status', async () => {
    const response = await testApi.http.get('/v1/tournaments?status=cancelled').set('Authorization', AUTH);

    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors).toEqual([{ path: 'status', detail: expect.any(String) }]);
  });

  it('rejects an invalid event', async () => {
    const response = await testApi.http
      .post('/v1/events/map:completed')
      .set('Authorization', AUTH)
      .send({ mapId: 'm1', timestamp: 'now' });

    expectProblem(response, 400, 'validation_failed');
  });

  it.each([
    ['queue', () => testApi.http.post('/v1/queues/nope/jobs').send({ name: 'x', data: {} }), 'queue_not_found'],
    ['queue listing jobs', () => testApi.http.get('/v1/queues/nope/jobs/1'), 'queue_not_found'],
    ['channel', () => testApi.http.post('/v1/events/map:deleted').send({}), 'channel_not_found'],
    ['job', () => testApi.http.get('/v1/queues/send-email/jobs/missing'), 'job_not_found'],
    ['tournament', () => testApi.http.get('/v1/tournaments/missing'), 'tournament_not_found'],
    ['map', () => testApi.http.get('/v1/maps/missing'), 'map_not_found'],
    ['map to complete', () => testApi.http.post('/v1/maps/missing/complete').send({}), 'map_not_found'],
    ['malformed map id', () => testApi.http.get('/v1/maps/bad:id'), 'map_not_found'],
    ['schedule', () => testApi.http.post('/v1/schedules/nope/run'), 'schedule_not_found'],
  ])('answers 404 for an unknown %s', async (_what, send, code) => {
    const response = await send().set('Authorization', AUTH);

    expectProblem(response, 404, code);
  });

  it('answers 404 not_found for an unknown path', async () => {
    const response = await testApi.http.get('/v1/nothing-here');

    expectProblem(response, 404, 'not_found');
    expect(response.body.instance).toBe('/v1/nothing-here');
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const response = await testApi.http.delete('/v1/tournaments').set('Authorization', AUTH);

    expectProblem(response, 405, 'method_not_allowed');
    expect(response.headers.allow).toBe('POST, GET, HEAD');
  });

  it('lists allowed methods for OPTIONS', async () => {
    const response = await testApi.http.options('/v1/maps/some-map');

    expect(response.status).toBe(204);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('answers 405 on a job path', async () => {
    const response = await testApi.http.put(`/v1/queues/${QueueNames.sendEmail}/jobs`).send({});

    expectProblem(response, 405, 'method_not_allowed');
    expect(response.headers.allow).toBe('POST');
  });

  it('answers 413 over the JSON limit', async () => {
    const response = await postJob().send({ name: JobNames.sendEmail, data: { ...email, text: 'x'.repeat(2_000) } });

    expectProblem(response, 413, 'payload_too_large');
  });

  it('answers 415 for a non-JSON body', async () => {
    const response = await postJob().set('Content-Type', 'text/plain').send('name=send-email');

    expectProblem(response, 415, 'unsupported_media_type');
  });

  it('answers 401 without an API key', async () => {
    const response = await testApi.http.post('/v1/tournaments').send({ name: 'Cup', startsAt: future(60) });

    expectProblem(response, 401, 'api_key_missing');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 403 for a wrong API key', async () => {
    const response = await testApi.http
      .post('/v1/tournaments')
      .set('Authorization', `Bearer ${API_KEY}x`)
      .send({ name: 'Cup', startsAt: future(60) });

    expectProblem(response, 403, 'api_key_invalid');
  });

  it('answers 401 for another scheme', async () => {
    const response = await postJob().set('Authorization', `Basic ${API_KEY}`).send({});

    expectProblem(response, 401, 'api_key_missing');
  });
});
