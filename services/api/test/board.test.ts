import { RedisTestServer } from '@backbone/redis-harness';

import { BOARD_PASSWORD, BOARD_USER, startTestApi, type TestApi } from './helpers';

describe('api Bull Board', () => {
  let server: RedisTestServer;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  describe('with credentials', () => {
    let testApi: TestApi;

    beforeAll(async () => {
      testApi = await startTestApi(server, { BULL_BOARD_LOCALE: 'ru-RU' });
    });

    afterAll(async () => {
      await testApi.close();
    });

    it.each(['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png'])(
      'asks for credentials at %s',
      async (path) => {
        const response = await testApi.http.get(path);

        expect(response.status).toBe(401);
        expect(response.body.code).toBe('credentials_missing');
        expect(response.headers['www-authenticate']).toMatch(/^Basic realm="Bull Board"/);
      },
    );

    it('rejects a wrong password', async () => {
      const response = await testApi.http.get('/admin/queues/api/queues').auth(BOARD_USER, 'wrong');

      expect(response.status).toBe(401);
      expect(response.body.code).toBe('credentials_invalid');
    });

    it('serves the page in the configured locale', async () => {
      const response = await testApi.http.get('/admin/queues').auth(BOARD_USER, BOARD_PASSWORD);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain('<base href="/admin/queues/"');
      expect(response.text).toContain('"lng":"ru-RU"');
    });

    it('serves assets under the mount path', async () => {
      const response = await testApi.http
        .get('/admin/queues/static/favicon-32x32.png')
        .auth(BOARD_USER, BOARD_PASSWORD);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('image/png');
    });

    it('serves the queue API under the mount path', async () => {
      const response = await testApi.http.get('/admin/queues/api/queues').auth(BOARD_USER, BOARD_PASSWORD);

      expect(response.status).toBe(200);
      const names = response.body.queues.map((queue: { name: string }) => queue.name).sort();
      expect(names).toEqual(['image-processing', 'scheduler', 'send-email']);
    });
  });

  describe('behind a prefix-stripping proxy', () => {
    let testApi: TestApi;

    beforeAll(async () => {
      testApi = await startTestApi(server, {
        BULL_BOARD_BASE_PATH: '/board',
        BULL_BOARD_PUBLIC_PATH: '/ops/board',
      });
    });

    afterAll(async () => {
      await testApi.close();
    });

    it('mounts at the base path', async () => {
      const response = await testApi.http.get('/board/api/queues').auth(BOARD_USER, BOARD_PASSWORD);

      expect(response.status).toBe(200);
    });

    it('links assets through the public path', async () => {
      const response = await testApi.http.get('/board').auth(BOARD_USER, BOARD_PASSWORD);

      expect(response.text).toContain('<base href="/ops/board/"');
    });
  });

  describe('without credentials configured', () => {
    let testApi: TestApi;

    beforeAll(async () => {
      testApi = await startTestApi(server, { BULL_BOARD_USERNAME: '', BULL_BOARD_PASSWORD: '' });
    });

    afterAll(async () => {
      await testApi.close();
    });

    it('does not mount the board', async () => {
      const page = await testApi.http.get('/admin/queues').auth(BOARD_USER, BOARD_PASSWORD);
      const api = await testApi.http.get('/admin/queues/api/queues');

      expect(page.status).toBe(404);
      expect(page.body.code).toBe('not_found');
      expect(api.status).toBe(404);
    });

    it('logs a warning', () => {
      const warning = testApi.logs.find((line) => line.level === 'warn' && String(line.message).includes('Bull Board'));

      expect(warning).toBeDefined();
    });
  });

  it('refuses a user name without a password', async () => {
    await expect(startTestApi(server, { BULL_BOARD_PASSWORD: '' })).rejects.toThrow('BULL_BOARD_PASSWORD');
  });
});
