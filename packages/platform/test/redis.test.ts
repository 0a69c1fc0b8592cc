import { closeRedis, createRedisConnection, pingRedis, type RedisRole, waitForRedisReady } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

describe('createRedisConnection', () => {
  let server: RedisTestServer;
  const connections: Redis[] = [];

  async function connect(role: RedisRole, db = 0): Promise<Redis> {
    const connection = createRedisConnection(`redis://:test-password@127.0.0.1:${server.port}/${db}`, role);
    connections.push(connection);
    await waitForRedisReady(connection);
    return connection;
  }

  beforeAll(async () => {
    server = await RedisTestServer.start({ args: ['--requirepass', 'test-password'] });
  });

  afterAll(async () => {
    await server.cleanup();
  });

  afterEach(async () => {
    for (const connection of connections.splice(0)) {
      connection.disconnect();
    }
    if (!server.isRunning()) {
      await server.restart();
    }
  });

  it('authenticates with the password and selects the database from the URL', async () => {
    const connection = await connect('producer', 3);
    const other = await connect('producer', 0);

    await connection.set('where', 'db3');

    await expect(other.get('where')).resolves.toBeNull();
    await expect(connection.get('where')).resolves.toBe('db3');
  });

  it('a producer pipelines commands of one turn', async () => {
    const connection = await connect('producer');
    let writes = 0;
    const stream = (connection as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const write = stream.write.bind(stream);
    stream.write = (...args: unknown[]) => {
      writes += 1;
      return write(...args);
    };

    const replies = await Promise.all(Array.from({ length: 20 }, (_, index) => connection.incrby('counter', index)));

    expect(replies.at(-1)).toBe(190);
    expect(writes).toBe(1);
  });

  it('a producer fails fast while Redis is down', async () => {
    const connection = await connect('producer');
    await server.stop();

    const startedAt = Date.now();
    await expect(connection.set('k', 'v')).rejects.toThrow();

    expect(Date.now() - startedAt).toBeLessThan(3_000);
  });

  it('a worker connection waits and completes the command once Redis is back', async () => {
    const connection = await connect('worker');
    await server.stop();

    const pending = connection.set('waited', 'yes');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.restart();

    await expect(pending).resolves.toBe('OK');
  });

  it('closeRedis ends a connection whether or not Redis is up', async () => {
    const up = await connect('worker');
    const down = await connect('worker');
    await closeRedis(up);
    await server.stop();

    await closeRedis(down);

    expect(up.status).toBe('end');
    expect(down.status).toBe('end');
  });

  it('pingRedis reports a stopped server within its timeout', async () => {
    const connection = await connect('worker');
    await expect(pingRedis(connection)).resolves.toBe(true);
    await server.stop();

    const startedAt = Date.now();
    await expect(pingRedis(connection, 500)).resolves.toBe(false);

    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });
});
