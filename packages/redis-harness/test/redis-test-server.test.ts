import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { MISSING_BINARY_MESSAGE, RedisTestServer } from '@backbone/redis-harness';

describe('RedisTestServer', () => {
  let server: RedisTestServer;

  afterEach(async () => {
    await server?.cleanup();
  });

  it('starts on a loopback port in its own directory', async () => {
    server = await RedisTestServer.start();
    const client = server.client();

    await expect(client.ping()).resolves.toBe('PONG');
    expect(server.url()).toBe(`redis://127.0.0.1:${server.port}/0`);
    const config = await client.config('GET', 'dir');
    expect(config[1]).toBe(server.dir);
  });

  it('two servers get different ports', async () => {
    server = await RedisTestServer.start();
    const other = await RedisTestServer.start();
    try {
      expect(other.port).not.toBe(server.port);
    } finally {
      await other.cleanup();
    }
  });

  it('keeps data across a kill when AOF is on', async () => {
    server = await RedisTestServer.start({ appendOnly: true });
    const client = server.client({ lazyConnect: true });
    await client.connect();
    await client.set('survivor', 'yes');

    await server.kill();
    expect(server.isRunning()).toBe(false);
    await server.restart();

    await expect(client.get('survivor')).resolves.toBe('yes');
  });

  it('loses data across a restart when AOF is off', async () => {
    server = await RedisTestServer.start();
    const client = server.client();
    await client.set('volatile', 'yes');

    await server.restart();

    await expect(client.get('volatile')).resolves.toBeNull();
  });

  it('stop makes the port refuse connections', async () => {
    server = await RedisTestServer.start();
    const client = server.client({ lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    await client.connect();
    await client.ping();

    await server.stop();

    await expect(client.ping()).rejects.toThrow();
  });

  it('cleanup removes the directory and can run twice', async () => {
    server = await RedisTestServer.start();
    const dir = server.dir;

    await server.cleanup();
    await server.cleanup();

    expect(existsSync(dir)).toBe(false);
  });

  it('explains how to install redis-server when it is not on PATH', () => {
    const script = `require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.js'))})
      .RedisTestServer.start().then(() => process.exit(0), (error) => { console.error(error.message); process.exit(3); });`;

    const result = spawnSync(process.execPath, ['-e', script], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });

    expect(result.status).toBe(3);
    expect(result.stderr.trim()).toBe(MISSING_BINARY_MESSAGE);
  });
});
