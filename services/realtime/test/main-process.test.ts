import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { ChannelNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';

import { TestClient } from './support/gateway';

const root = join(__dirname, '..', '..', '..');
const entry = join(root, 'services', 'realtime', 'dist', 'main.js');

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function listeningPort(output: () => string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /"message":"Realtime gateway listening","port":(\d+)/.exec(output());
    if (match !== null) {
      return Number(match[1]);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the gateway did not start:\n${output()}`);
}

describe('realtime main process', () => {
  let redis: RedisTestServer;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });

  afterAll(async () => {
    await redis.cleanup();
  });

  it('exits 0 on SIGTERM after closing clients with 1012', async () => {
    const gateway = run({ REDIS_URL: redis.url(), REALTIME_PORT: '0', REALTIME_TOKENS: 'process-test-token' });
    const port = await listeningPort(gateway.output);
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/v1/realtime`, { token: 'process-test-token' });
    await client.subscribe(ChannelNames.mapCompleted);

    gateway.child.kill('SIGTERM');

    expect((await client.closed).code).toBe(1012);
    expect(await gateway.exited).toBe(0);
  });

  it('exits 1 naming REALTIME_TOKENS when it is missing', async () => {
    const gateway = run({ REDIS_URL: redis.url() });

    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain('REALTIME_TOKENS: required but not set');
  });

  it('rejects the development token in production', async () => {
    const gateway = run({ REDIS_URL: redis.url(), NODE_ENV: 'production', REALTIME_TOKENS: 'dev-realtime-token' });

    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain('REALTIME_TOKENS: still has its development default');
  });
});
