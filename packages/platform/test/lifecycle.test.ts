import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { RedisTestServer } from '@backbone/redis-harness';

const fixture = join(__dirname, 'fixtures', 'sample-service.js');

interface RunningService {
  child: ChildProcessWithoutNullStreams;
  port: number;
  lines: string[];
  exited: Promise<number | null>;
}

async function startService(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, [fixture], {
    env: { PATH: process.env.PATH ?? '', OPS_PORT: '0', LOG_LEVEL: 'debug', ...env },
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const record = JSON.parse(line) as { ready?: boolean; port?: number };
      if (record.ready === true && record.port !== undefined) {
        resolve(record.port);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`service exited with ${code} before it was ready: ${lines.join('\n')}`)),
    );
  });
  return { child, port, lines, exited };
}

describe('runService', () => {
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

  it('serves health, readiness and metrics on a free port', async () => {
    service = await startService({ REDIS_URL: server.url() });
    const base = `http://127.0.0.1:${service.port}`;

    const health = await fetch(`${base}/healthz`);
    const ready = await fetch(`${base}/readyz`);
    const metrics = await fetch(`${base}/metrics`);

    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    await expect(ready.json()).resolves.toEqual({ status: 'ready', checks: { redis: true } });
    expect(await metrics.text()).toContain('process_cpu_user_seconds_total{service="sample"}');
  });

  it('reports not ready while Redis is down and ready again after', async () => {
    service = await startService({ REDIS_URL: server.url() });
    const readyz = `http://127.0.0.1:${service.port}/readyz`;

    await server.stop();
    const down = await fetch(readyz);
    await server.restart();
    let up = await fetch(readyz);
    for (let attempt = 0; attempt < 50 && up.status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      up = await fetch(readyz);
    }

    expect(down.status).toBe(503);
    await expect(down.json()).resolves.toEqual({ status: 'not_ready', checks: { redis: false } });
    expect(up.status).toBe(200);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops cleanly on %s with exit code 0', async (signal) => {
    service = await startService({ REDIS_URL: server.url() });

    service.child.kill(signal);

    await expect(service.exited).resolves.toBe(0);
    const messages = service.lines.map((line) => (JSON.parse(line) as { message?: string }).message);
    expect(messages).toContain('Service stopping');
    expect(messages).toContain('Service stopped');
    const levels = service.lines.map((line) => (JSON.parse(line) as { level?: string }).level);
    expect(levels).not.toContain('error');
  });

  it('exits 1 when a component outlives the shutdown timeout', async () => {
    service = await startService({ REDIS_URL: server.url(), SHUTDOWN_TIMEOUT_MS: '300', SAMPLE_STOP_DELAY_MS: '5000' });
    const startedAt = Date.now();

    service.child.kill('SIGTERM');

    await expect(service.exited).resolves.toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(service.lines.join('\n')).toContain('Component did not stop before the shutdown deadline');
  });

  it('stops within the timeout while Redis is unreachable', async () => {
    service = await startService({ REDIS_URL: server.url(), SHUTDOWN_TIMEOUT_MS: '2000' });
    await server.stop();

    service.child.kill('SIGTERM');

    await expect(service.exited).resolves.toBe(0);
    await server.restart();
  });

  it('refuses to start with an invalid configuration and names the variable', async () => {
    const child = spawn(process.execPath, [fixture], { env: { PATH: process.env.PATH ?? '', REDIS_URL: 'nope' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(code).not.toBe(0);
    expect(stderr).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
  });
});
