import { CacheNamespaces, cacheEntryKey, cacheGenerationKey } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

import { AUTH, eventually, future, keySnapshot, recordEvents, startTestApi, type TestApi } from './helpers';

describe('api tournaments and maps', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let testApi: TestApi;
  let events: { channel: string; event: unknown }[];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    testApi = await startTestApi(server);
    events = await recordEvents(server);
  });

  beforeEach(async () => {
    await redis.flushdb();
    events.length = 0;
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  const createTournament = (name: string, startsAt = future(60)) =>
    testApi.http.post('/v1/tournaments').set('Authorization', AUTH).send({ name, startsAt });

  it('creates a scheduled tournament and publishes it', async () => {
    const response = await createTournament('Winter Cup', '2027-01-10T18:00:00+03:00');

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      name: 'Winter Cup',
      status: 'scheduled',
      startsAt: '2027-01-10T15:00:00.000Z',
    });
    expect(response.headers.location).toBe(`/v1/tournaments/${response.body.id}`);
    const published = await eventually(() => events.find((entry) => entry.channel === 'tournament:created'));
    expect(published.event).toEqual({
      tournamentId: response.body.id,
      startsAt: '2027-01-10T15:00:00.000Z',
      timestamp: response.body.createdAt,
    });
  });

  it('reads a tournament through the cache', async () => {
    const created = await createTournament('Cup');

    const first = await testApi.http.get(`/v1/tournaments/${created.body.id}`).set('Authorization', AUTH);

    expect(first.status).toBe(200);
    expect(first.body).toEqual(created.body);
    const cached = await redis.get(cacheEntryKey(CacheNamespaces.tournaments, 0, created.body.id));
    expect(JSON.parse(cached!)).toEqual(created.body);
    const ttl = await redis.ttl(cacheEntryKey(CacheNamespaces.tournaments, 0, created.body.id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('serves the entry of the current generation', async () => {
    const created = await createTournament('Cup');
    await testApi.http.get(`/v1/tournaments/${created.body.id}`).set('Authorization', AUTH);
    await redis.incr(cacheGenerationKey(CacheNamespaces.tournaments));
    await redis.hset(`{game}:tournament:${created.body.id}`, 'name', 'Renamed');

    const response = await testApi.http.get(`/v1/tournaments/${created.body.id}`).set('Authorization', AUTH);

    expect(response.body.name).toBe('Renamed');
    await expect(redis.exists(cacheEntryKey(CacheNamespaces.tournaments, 1, created.body.id))).resolves.toBe(1);
  });

  it('lists tournaments by status', async () => {
    const later = await createTournament('Later', future(120));
    const sooner = await createTournament('Sooner', future(30));

    const scheduled = await testApi.http.get('/v1/tournaments?status=scheduled').set('Authorization', AUTH);
    const active = await testApi.http.get('/v1/tournaments?status=active').set('Authorization', AUTH);
    const all = await testApi.http.get('/v1/tournaments').set('Authorization', AUTH);

    expect(scheduled.body.tournaments.map((t: { id: string }) => t.id)).toEqual([sooner.body.id, later.body.id]);
    expect(active.body.tournaments).toEqual([]);
    expect(all.body.tournaments).toHaveLength(2);
    await expect(redis.exists(cacheEntryKey(CacheNamespaces.tournamentLists, 0, 'scheduled'))).resolves.toBe(1);
    await expect(redis.exists(cacheEntryKey(CacheNamespaces.tournamentLists, 0, 'all'))).resolves.toBe(1);
  });

  it('shows a new tournament in cached lists', async () => {
    await createTournament('First');
    await testApi.http.get('/v1/tournaments').set('Authorization', AUTH);

    await createTournament('Second');
    const all = await testApi.http.get('/v1/tournaments').set('Authorization', AUTH);

    expect(all.body.tournaments).toHaveLength(2);
  });

  it('creates a pending map', async () => {
    const tournament = await createTournament('Cup');

    const response = await testApi.http
      .post('/v1/maps')
      .set('Authorization', AUTH)
      .send({ name: 'Dust', tournamentId: tournament.body.id });
    const read = await testApi.http.get(`/v1/maps/${response.body.id}`).set('Authorization', AUTH);

    expect(response.status).toBe(201);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ name: 'Dust', status: 'pending', tournamentId: tournament.body.id, image: null });
  });

  it('marks cached map reads with Cache-Status', async () => {
    const map = await testApi.http.post('/v1/maps').set('Authorization', AUTH).send({ name: 'Dust' });

    const first = await testApi.http.get(`/v1/maps/${map.body.id}`).set('Authorization', AUTH);
    const second = await testApi.http.get(`/v1/maps/${map.body.id}`).set('Authorization', AUTH);

    expect(first.headers['cache-status']).toBe('backbone-api; fwd=miss');
    expect(second.headers['cache-status']).toBe('backbone-api; hit');
  });

  it('marks cached tournament reads with Cache-Status', async () => {
    const created = await createTournament('Cup');

    const first = await testApi.http.get(`/v1/tournaments/${created.body.id}`).set('Authorization', AUTH);
    const second = await testApi.http.get(`/v1/tournaments/${created.body.id}`).set('Authorization', AUTH);

    expect(first.headers['cache-status']).toBe('backbone-api; fwd=miss');
    expect(second.headers['cache-status']).toBe('backbone-api; hit');
  });

  it('completes a map and publishes map:completed', async () => {
    const tournament = await createTournament('Cup');
    const map = await testApi.http
      .post('/v1/maps')
      .set('Authorization', AUTH)
      .send({ name: 'Dust', tournamentId: tournament.body.id });
    await testApi.http.get(`/v1/maps/${map.body.id}`).set('Authorization', AUTH);

    const response = await testApi.http
      .post(`/v1/maps/${map.body.id}/complete`)
      .set('Authorization', AUTH)
      .send({ result: { winner: 'blue', score: [16, 9] } });
    const read = await testApi.http.get(`/v1/maps/${map.body.id}`).set('Authorization', AUTH);

    expect(response.status).toBe(200);
    expect(read.body).toMatchObject({ status: 'completed', result: { winner: 'blue', score: [16, 9] } });
    const published = await eventually(() => events.find((entry) => entry.channel === 'map:completed'));
    expect(published.event).toEqual({
      mapId: map.body.id,
      tournamentId: tournament.body.id,
      result: { winner: 'blue', score: [16, 9] },
      timestamp: response.body.completedAt,
    });
  });

  it('completes a map without a body', async () => {
    const map = await testApi.http.post('/v1/maps').set('Authorization', AUTH).send({ name: 'Solo' });

    const response = await testApi.http.post(`/v1/maps/${map.body.id}/complete`).set('Authorization', AUTH);

    expect(response.status).toBe(200);
    const published = await eventually(() => events.find((entry) => entry.channel === 'map:completed'));
    expect(published.event).toMatchObject({ mapId: map.body.id, tournamentId: null, result: null });
  });

  it('answers 409 for a second completion', async () => {
    const map = await testApi.http.post('/v1/maps').set('Authorization', AUTH).send({ name: 'Dust' });
    await testApi.http.post(`/v1/maps/${map.body.id}/complete`).set('Authorization', AUTH);
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.length = 0;
    const before = await keySnapshot(redis);

    const again = await testApi.http.post(`/v1/maps/${map.body.id}/complete`).set('Authorization', AUTH).send({});

    expect(again.status).toBe(409);
    expect(again.body.code).toBe('map_already_completed');
    await expect(keySnapshot(redis)).resolves.toEqual(before);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual([]);
  });

  it('rejects an invalid completion body', async () => {
    const map = await testApi.http.post('/v1/maps').set('Authorization', AUTH).send({ name: 'Dust' });

    const response = await testApi.http
      .post(`/v1/maps/${map.body.id}/complete`)
      .set('Authorization', AUTH)
      .send({ result: 'blue won' });
    const read = await testApi.http.get(`/v1/maps/${map.body.id}`).set('Authorization', AUTH);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: '#/result', detail: expect.any(String) }]);
    expect(read.body.status).toBe('pending');
    expect(events).toEqual([]);
  });

  it('publishes an event and counts receivers', async () => {
    const response = await testApi.http
      .post('/v1/events/tournament:activated')
      .set('Authorization', AUTH)
      .send({ tournamentId: 't-1', timestamp: '2026-12-04T18:00:00.000Z' });

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ channel: 'tournament:activated', receivers: 1 });
    const published = await eventually(() => events.find((entry) => entry.channel === 'tournament:activated'));
    expect(published.event).toEqual({ tournamentId: 't-1', timestamp: '2026-12-04T18:00:00.000Z' });
  });
});
