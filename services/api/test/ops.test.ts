import { JobNames, QueueNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import { Job, Queue } from 'bullmq';
import type { Express } from 'express';
import type { Redis } from 'ioredis';

import { AUTH, startTestApi, type TestApi } from './helpers';

const email = { to: 'player@example.com', subject: 'Hello', text: 'Welcome' };

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every method and path the app registers, as `METHOD /path/{param}`. */
function registeredRoutes(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: RouterLayer[] } }).router.stack;
  const routes = new Set<string>();
  for (const layer of stack) {
    if (layer.route === undefined) {
      continue;
    }
    const path = layer.route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const [method, enabled] of Object.entries(layer.route.methods)) {
      // `_all` marks the catch-all that returns 405, which is not an operation.
      if (enabled && method !== '_all') {
        routes.add(`${method.toUpperCase()} ${path}`);
      }
    }
  }
  return [...routes].sort();
}

describe('api operations', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let testApi: TestApi;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    testApi = await startTestApi(server);
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  it('answers liveness and readiness', async () => {
    const health = await testApi.http.get('/healthz');
    const ready = await testApi.http.get('/readyz');

    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { redis: true } });
  });

  it('counts requests by route pattern and status', async () => {
    await testApi.http
      .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
      .set('Authorization', AUTH)
      .send({ name: JobNames.sendEmail, data: email });
    await testApi.http.get('/v1/maps/missing').set('Authorization', AUTH);

    const metrics = (await testApi.http.get('/metrics')).text;

    expect(metrics).toMatch(
      /http_requests_total\{method="POST",route="\/v1\/queues\/:queue\/jobs",status="202",service="api"\} 1/,
    );
    expect(metrics).toMatch(/http_requests_total\{method="GET",route="\/v1\/maps\/:id",status="404",service="api"\} 1/);
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{[^}]*method="POST",route="\/v1\/queues\/:queue\/jobs",status="202"\} 1/,
    );
    expect(metrics).toMatch(/jobs_added_total\{queue="send-email",service="api"\} 1/);
  });

  it('labels unknown paths as unmatched', async () => {
    await testApi.http.get('/no/such/path/12345');

    const metrics = (await testApi.http.get('/metrics')).text;

    expect(metrics).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404",service="api"\}/);
    expect(metrics).not.toContain('12345');
  });

  describe('request id', () => {
    it('echoes a valid X-Request-Id into the job', async () => {
      const response = await testApi.http
        .post(`/v1/queues/${QueueNames.sendEmail}/jobs`)
        .set('Authorization', AUTH)
        .set('X-Request-Id', 'client-req-42')
        .send({ name: JobNames.sendEmail, data: email });

      expect(response.headers['x-request-id']).toBe('client-req-42');
      const job = await Job.fromId(new Queue(QueueNames.sendEmail, { connection: redis }), response.body.id);
      expect(job?.data._meta).toEqual({ requestId: 'client-req-42' });
    });

    it('generates an id when none is sent', async () => {
      const response = await testApi.http.get('/healthz');

      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('replaces an invalid id', async () => {
      const response = await testApi.http.get('/healthz').set('X-Request-Id', 'bad id with spaces');

      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('appears on every log line of the request', async () => {
      await testApi.http
        .post('/v1/tournaments')
        .set('Authorization', AUTH)
        .set('X-Request-Id', 'log-trace-7')
        .send({ name: 'Cup', startsAt: '2027-01-10T18:00:00Z' });

      const lines = testApi.logs.filter((line) => line.requestId === 'log-trace-7');
      const messages = lines.map((line) => line.message);
      expect(messages).toEqual(['Tournament created', 'Request finished']);
      expect(lines[1]).toMatchObject({ route: '/v1/tournaments', status: '201', durationMs: expect.any(Number) });
    });
  });

  describe('OpenAPI document', () => {
    it('serves OpenAPI 3.1', async () => {
      const response = await testApi.http.get('/openapi.json');

      expect(response.status).toBe(200);
      expect(response.body.openapi).toBe('3.1.0');
    });

    it('documents exactly the registered routes', async () => {
      const document = (await testApi.http.get('/openapi.json')).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const documented = Object.entries(document.paths)
        .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
        .sort();

      expect(documented).toEqual(registeredRoutes(testApi.api.app));
    });

    it('registers the whole v1 surface', () => {
      expect(registeredRoutes(testApi.api.app)).toEqual(
        [
          'GET /healthz',
          'GET /metrics',
          'GET /openapi.json',
          'GET /readyz',
          'GET /v1/queues',
          'POST /v1/queues/{queue}/jobs',
          'POST /v1/queues/{queue}/jobs/batch',
          'GET /v1/queues/{queue}/jobs/{id}',
          'POST /v1/queues/{queue}/jobs/{id}/retry',
          'POST /v1/events/{channel}',
          'GET /v1/schedules',
          'POST /v1/schedules/{id}/run',
          'POST /v1/tournaments',
          'GET /v1/tournaments',
          'GET /v1/tournaments/{id}',
          'POST /v1/maps',
          'GET /v1/maps/{id}',
          'POST /v1/maps/{id}/complete',
          'PUT /v1/maps/{id}/image',
          'GET /v1/maps/{id}/image/{variant}',
        ].sort(),
      );
    });
  });
});
