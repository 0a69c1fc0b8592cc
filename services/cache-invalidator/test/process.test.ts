import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { type CacheEntryRef, CacheNamespaces, ChannelNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';

import { apiCache, eventually, isCached, type LogRecord, readThrough } from './helpers';

const serviceDir = join(__dirname, '..');
const entryPoint = join(serviceDir, 'dist', 'main.js');

interface RunningService {
  child: ChildProcessWithoutNullStreams;
  records: LogRecord[];
  opsPort: number;
  exited: Promise<number | null>;
}

/** Starts the compiled service and resolves once it logged that it started. */
async function startService(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, [entryPoint], {
    cwd: serviceDir,
    env: { PATH: process.env.PATH ?? '', OPS_PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'debug', ...env },
  });
  const records: LogRecord[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      records.push(JSON.parse(line) as LogRecord);
      if (records.at(-1)?.message === 'Service started') {
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${JSON.stringify(records)}`)));
  });

  const listening = records.find((record) => record.message === 'Ops server listening');
  return { child, records, opsPort: Number(listening?.port), exited };
}

describe('cache-invalidator process', () => {
  let server: RedisTestServer;
  let service: RunningService | undefined;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterEach(() => {
    service?.child.kill('SIGKILL');
    service = undefined;
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('invalidates and stops on SIGTERM with exit code 0', async () => {
    const redis = server.client();
    const entry: CacheEntryRef = { namespace: CacheNamespaces.maps, id: 'map-child' };
    service = await startService({ REDIS_URL: server.url() });
    const ready = await fetch(`http://127.0.0.1:${service.opsPort}/readyz`);
    await readThrough(apiCache(redis), entry, 'old');

    await redis.publish(
      ChannelNames.mapCompleted,
      JSON.stringify({ mapId: 'map-child', tournamentId: null, result: null, timestamp: new Date().toISOString() }),
    );
    await eventually(async () => !(await isCached(redis, entry)));
    service.child.kill('SIGTERM');

    expect(ready.status).toBe(200);
    await expect(service.exited).resolves.toBe(0);
    const messages = service.records.map((record) => record.message);
    expect(messages).toContain('Service stopped');
    expect(service.records.filter((record) => record.level === 'error')).toEqual([]);
  });

  it('refuses an invalid configuration with exit code 1', async () => {
    const child = spawn(process.execPath, [entryPoint], {
      cwd: serviceDir,
      env: { PATH: process.env.PATH ?? '', REDIS_URL: server.url(), CACHE_INVALIDATOR_RETRY_DELAY_MS: 'soon' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code).toBe(1);
    expect(stderr).toContain('CACHE_INVALIDATOR_RETRY_DELAY_MS');
  });
});
