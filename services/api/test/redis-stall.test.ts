import { RedisTestServer } from '@backbone/redis-harness';

import { AUTH, BOARD_PASSWORD, BOARD_USER, startTestApi, type TestApi } from './helpers';

/** How long Redis stays blocked; well beyond the handler timeout below. */
const STALL_SECONDS = 5;
const HANDLER_TIMEOUT_MS = 1_500;

describe('api while Redis stalls', () => {
  let server: RedisTestServer;
  let testApi: TestApi;

  beforeAll(async () => {
    server = await RedisTestServer.start({ args: ['--enable-debug-command', 'yes'] });
    testApi = await startTestApi(server, { API_HANDLER_TIMEOUT_MS: String(HANDLER_TIMEOUT_MS) });
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  it('answers 503 instead of hanging', async () => {
    // DEBUG SLEEP blocks the whole server, so connections stay open but no reply comes.
    const blocker = server.client();
    const stall = blocker.call('DEBUG', 'SLEEP', String(STALL_SECONDS)).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const startedAt = Date.now();
    const [map, board] = await Promise.all([
      testApi.http.get('/v1/maps/some-map').set('Authorization', AUTH),
      testApi.http.get('/admin/queues/api/queues').auth(BOARD_USER, BOARD_PASSWORD),
    ]);
    const elapsedMs = Date.now() - startedAt;

    expect(map.status).toBe(503);
    expect(map.body.code).toBe('service_unavailable');
    expect(map.headers['retry-after']).toBe('5');
    expect(board.status).toBe(503);
    expect(elapsedMs).toBeLessThan(HANDLER_TIMEOUT_MS + 1_000);
    await stall;
  });
});
