import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { findFreePort, RedisTestServer } from '@backbone/redis-harness';

import { API_KEY } from './helpers';

/** Compiled entry point; `npm test` builds it before Jest starts. */
const MAIN = resolve(__dirname, '../dist/main.js');

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** Runs the api in a scratch directory, so no `.env` file is read. */
function runApi(env: Record<string, string>, cwd: string): Run {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, stdout, stderr, exited };
}

async function waitForOutput(lines: string[], text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!lines.join('').includes(text)) {
    if (Date.now() > deadline) {
      throw new Error(`"${text}" not printed within ${timeoutMs} ms; output: ${lines.join('')}`);
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

describe('api process', () => {
  let server: RedisTestServer;
  let cwd: string;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    cwd = mkdtempSync(join(tmpdir(), 'api-main-'));
  });

  afterAll(async () => {
    await server.cleanup();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('exits 0 after SIGTERM', async () => {
    const port = await findFreePort();
    const run = runApi(
      { REDIS_URL: server.url(), API_PORT: String(port), API_KEYS: API_KEY, MEDIA_DIR: join(cwd, 'media') },
      cwd,
    );
    await waitForOutput(run.stdout, 'Service started');

    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    run.child.kill('SIGTERM');

    expect(health.status).toBe(200);
    await expect(run.exited).resolves.toBe(0);
    expect(run.stdout.join('')).toContain('Service stopped');
  });

  it('exits 1 with a config error', async () => {
    const run = runApi({ REDIS_URL: server.url(), API_KEYS: 'short' }, cwd);

    await expect(run.exited).resolves.toBe(1);
    expect(run.stderr.join('')).toContain('API_KEYS: every key must have at least 16 characters');
  });
});
