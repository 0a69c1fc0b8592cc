import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findFreePort } from '@backbone/redis-harness';

const entry = join(__dirname, '..', 'dist', 'main.js');

/**
 * Polls `url` until it responds 200. Fails after `timeoutMs`, or at once when
 * the stack has exited, with the stack's output in the message.
 */
async function waitForOk(
  url: string,
  stack: { text: () => string; hasExited: () => boolean },
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stack.hasExited()) {
    try {
      if ((await fetch(url)).status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const reason = stack.hasExited() ? 'the stack exited first' : `no 200 within ${timeoutMs} ms`;
  throw new Error(`${url}: ${reason}. Output of the stack:\n${stack.text().slice(-4_000)}`);
}

/** Returns whether a server can listen on `port` of the loopback interface now. */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Finds `count` consecutive free ports, for settings that take a base port. */
async function findFreePortRun(count: number): Promise<number> {
  for (;;) {
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    const free = await Promise.all(Array.from({ length: count }, (_, offset) => isPortFree(base + offset)));
    if (free.every(Boolean)) {
      return base;
    }
  }
}

function collect(child: ChildProcessWithoutNullStreams): {
  text: () => string;
  hasExited: () => boolean;
  exited: Promise<number | null>;
} {
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let hasExited = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      hasExited = true;
      resolve(code);
    }),
  );
  return { text: () => output, hasExited: () => hasExited, exited };
}

/*
 * `npm start` as a user runs it, with every port moved to a free one so the
 * test can run beside anything else on the machine.
 */
describe('local stack (npm start)', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-stack-'));
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts every service on a private Redis and stops cleanly on Ctrl-C', async () => {
    const ports = {
      LOCAL_REDIS_PORT: await findFreePort(),
      MAIL_SMTP_PORT: await findFreePort(),
      MAIL_WEB_PORT: await findFreePort(),
      API_PORT: await findFreePort(),
      REALTIME_PORT: await findFreePort(),
    };
    // The worker, scheduler and cache-invalidator take three consecutive ops ports.
    const opsBase = await findFreePortRun(3);
    const env = {
      PATH: process.env.PATH ?? '',
      LOCAL_DATA_DIR: dataDir,
      LOCAL_OPS_BASE_PORT: String(opsBase),
      FORCE_COLOR: '0',
      ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    };
    const child = spawn(process.execPath, [entry], { env });
    const stack = collect(child);
    const { text, exited } = stack;

    try {
      await waitForOk(`http://127.0.0.1:${ports.API_PORT}/readyz`, stack);
      await waitForOk(`http://127.0.0.1:${ports.REALTIME_PORT}/readyz`, stack);
      for (let offset = 0; offset < 3; offset += 1) {
        await waitForOk(`http://127.0.0.1:${opsBase + offset}/readyz`, stack);
      }
      await waitForOk(`http://127.0.0.1:${ports.MAIL_WEB_PORT}/messages.json`, stack);

      const queues = await fetch(`http://127.0.0.1:${ports.API_PORT}/v1/queues`, {
        headers: { authorization: 'Bearer dev-api-key-0123456789' },
      });
      expect(queues.status).toBe(200);
    } finally {
      child.kill('SIGINT');
    }

    await expect(exited).resolves.toBe(0);
    const output = text();
    expect(output).toContain('(private, AOF on)');
    expect(output).toContain('Bearer dev-api-key-0123456789');
    expect(output).toContain(
      `Ops ports    worker ${opsBase}, scheduler ${opsBase + 1}, cache-invalidator ${opsBase + 2}`,
    );
    expect(output).not.toContain('exited with code SIGINT');
    expect(output).toContain('Local stack stopped');
    expect(readdirSync(join(dataDir, 'redis')).some((name) => name.startsWith('appendonly'))).toBe(true);
  }, 120_000);

  it('names the variable of a port in use and leaves nothing running', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const takenPort = (blocker.address() as AddressInfo).port;
    const redisPort = await findFreePort();
    const child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env.PATH ?? '',
        LOCAL_DATA_DIR: dataDir,
        LOCAL_REDIS_PORT: String(redisPort),
        MAIL_SMTP_PORT: String(await findFreePort()),
        MAIL_WEB_PORT: String(takenPort),
      },
    });
    const { text, exited } = collect(child);

    await expect(exited).resolves.toBe(1);
    blocker.close();
    expect(text()).toContain(`Port ${takenPort} is already in use; set MAIL_WEB_PORT to a free port.`);
    await expect(fetch(`http://127.0.0.1:${redisPort}`).catch((error: Error) => error.cause)).resolves.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('says how to install Redis when it is missing', async () => {
    const child = spawn(process.execPath, [entry], {
      env: { PATH: '/nonexistent', LOCAL_DATA_DIR: dataDir, MAIL_SMTP_PORT: '0', MAIL_WEB_PORT: '0' },
    });
    const { text, exited } = collect(child);

    await expect(exited).resolves.toBe(1);
    expect(text()).toContain('redis-server was not found on PATH, and REDIS_URL is not set.');
    expect(text()).toContain('apt-get install -y redis-server');
    expect(existsSync(join(dataDir, 'redis'))).toBe(false);
  });
});
