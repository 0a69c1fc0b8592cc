import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { QueueNames, ScheduleIds } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';

import { countSchedulerKeys, uniquePrefix } from './helpers';

/** Compiled entry point; `npm test` builds it before Jest starts. */
const MAIN = join(__dirname, '..', 'dist', 'main.js');

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(env: Record<string, string>): { child: ChildProcess; exited: Promise<Exited>; output: () => string } {
  const child = spawn(process.execPath, [MAIN], {
    // The test folder has no .env file, so a developer's .env stays out of the test.
    cwd: __dirname,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_FORMAT: 'json', OPS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<Exited>((resolve) => {
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, exited, output: () => stdout };
}

async function waitForOutput(output: () => string, text: string, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (output().includes(text)) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('scheduler process', () => {
  let server: RedisTestServer;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('SIGTERM stops it with exit 0', async () => {
    const prefix = uniquePrefix();
    const run = runMain({ REDIS_URL: server.url(), BULLMQ_PREFIX: prefix });

    const started = await waitForOutput(run.output, '"message":"Service started"');
    run.child.kill('SIGTERM');
    const { code } = await run.exited;

    expect(started).toBe(true);
    expect(code).toBe(0);
    expect((await countSchedulerKeys(server.client(), prefix)).schedulers).toBe(1);
  });

  it('invalid pattern override exits 1', async () => {
    const prefix = uniquePrefix();
    const run = runMain({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: prefix,
      SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { pattern: '0 0 30 2 * * * *' } }),
    });

    const { code, stderr } = await run.exited;

    expect(code).toBe(1);
    expect(stderr).toContain('SCHEDULER_OVERRIDES: schedule "activate-tournaments": cron pattern');
    expect(await server.client().exists(`${prefix}:${QueueNames.scheduler}:repeat`)).toBe(0);
  });

  it('unknown time zone override exits 1', async () => {
    const run = runMain({
      REDIS_URL: server.url(),
      SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { timeZone: 'America/Gotham' } }),
    });

    const { code, stderr } = await run.exited;

    expect(code).toBe(1);
    expect(stderr).toContain('schedule "activate-tournaments": time zone "America/Gotham"');
  });
});
