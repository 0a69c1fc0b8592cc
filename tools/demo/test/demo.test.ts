import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findFreePort, RedisTestServer } from '@backbone/redis-harness';
import sharp from 'sharp';

import { MailCatcher } from '../../local-stack/src/mail-catcher';

const root = join(__dirname, '..', '..', '..');
const API_KEY = 'demo-test-key-0123456789';

/** A service started from its compiled entry point, as `npm start` runs it. */
interface RunningService {
  name: string;
  child: ChildProcess;
  stderr: string[];
}

/** Starts `services/<name>/dist/main.js` and waits until `readyUrl` returns 200. */
async function startService(name: string, env: Record<string, string>, readyUrl: string): Promise<RunningService> {
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const service = { name, child, stderr: [] as string[] };
  child.stderr?.on('data', (chunk: Buffer) => service.stderr.push(chunk.toString()));

  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(readyUrl).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) {
      return service;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready: ${service.stderr.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopService(service: RunningService): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => service.child.once('exit', resolve));
  service.child.kill('SIGTERM');
  await exited;
}

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled demo with `env` and `args` and resolves when it exits. */
function runDemo(env: Record<string, string>, args: string[] = []): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'tools', 'demo', 'dist', 'main.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', DEMO_WAIT_TIMEOUT_MS: '20000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo', () => {
  let redis: RedisTestServer;
  let mail: MailCatcher;
  let dataDir: string;
  let env: Record<string, string>;
  const services: RunningService[] = [];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    dataDir = mkdtempSync(join(tmpdir(), 'demo-test-'));

    const [smtpPort, mailWebPort, apiPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    mail = new MailCatcher(join(dataDir, 'mail'));
    await mail.start(smtpPort, mailWebPort);

    const shared = {
      REDIS_URL: redis.url(),
      MEDIA_DIR: join(dataDir, 'media'),
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      API_KEYS: API_KEY,
    };
    services.push(
      await startService('api', { ...shared, API_PORT: String(apiPort) }, `http://127.0.0.1:${apiPort}/readyz`),
    );
    for (const name of ['worker', 'cache-invalidator']) {
      const opsPort = await findFreePort();
      services.push(
        await startService(name, { ...shared, OPS_PORT: String(opsPort) }, `http://127.0.0.1:${opsPort}/readyz`),
      );
    }

    // TMPDIR keeps the thumbnails the demo saves inside the directory removed after the tests.
    env = {
      API_URL: `http://127.0.0.1:${apiPort}`,
      API_KEY,
      MAIL_URL: `http://127.0.0.1:${mailWebPort}`,
      TMPDIR: dataDir,
    };
  }, 90_000);

  afterAll(async () => {
    await Promise.all(services.map(stopService));
    await mail?.stop();
    await redis?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  describe('against the running system', () => {
    let run: DemoRun;

    beforeAll(async () => {
      run = await runDemo(env);
    }, 60_000);

    it('exits 0 with every step passed', () => {
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^All 5 steps passed in [\d.]+ s\.$/m);
    });

    it('shows the tournament become active', () => {
      expect(run.stdout).toMatch(/^\[1\/5\] {3}read tournament \S+: status scheduled \(cache miss\)$/m);
      expect(run.stdout).toMatch(/^\[1\/5\] {3}ran schedule activate-tournaments now: job \S+ in queue scheduler$/m);
      expect(run.stdout).toMatch(/^\[1\/5\] {3}tournament \S+: status scheduled -> active \(cache miss\)$/m);
    });

    it('follows the image job to 100 percent', () => {
      expect(run.stdout).toMatch(/^\[2\/5\] {3}job \S+ in queue image-processing: completed, progress 100%$/m);
    });

    it('fetches a rotated portrait thumbnail', () => {
      expect(run.stdout).toMatch(/^\[2\/5\] {3}thumbnail: 192x256 image\/webp, /m);
      expect(run.stdout).toMatch(/^\[2\/5\] {3}the thumbnail is upright: the worker applied the EXIF orientation$/m);
    });

    it('finds the e-mail in the catcher', async () => {
      const subject = /^\[3\/5\] {3}the mail catcher received "(Backbone demo \S+)"/m.exec(run.stdout)?.[1];

      expect(subject).toBeDefined();
      const caught = await mail.list();
      expect(caught.map((message) => message.subject)).toContain(subject);
    });

    it('shows a cache hit, then a fresh read', () => {
      expect(run.stdout).toMatch(/^\[4\/5\] {3}read \d: map \S+ status pending \(cache hit\)$/m);
      expect(run.stdout).toMatch(/^\[4\/5\] {3}read after completion: map \S+ status completed \(cache miss\)$/m);
    });

    it('shows the validation error', () => {
      expect(run.stdout).toMatch(
        /^\[5\/5\] {3}POST \/v1\/queues\/send-email\/jobs returned 400 validation_failed \(application\/problem\+json\)$/m,
      );
      expect(run.stdout).toMatch(/^\[5\/5\] {3}invalid fields: #\/data\/to: /m);
    });
  });

  it('uploads a photo given as argument', async () => {
    const photo = join(dataDir, 'wide.png');
    await sharp({ create: { width: 800, height: 400, channels: 3, background: '#336699' } })
      .png()
      .toFile(photo);

    const run = await runDemo(env, [photo]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`[2/5]   photo: ${photo} (image/png, `);
    expect(run.stdout).toMatch(/^\[2\/5\] {3}thumbnail: 256x128 image\/webp, /m);
  }, 60_000);

  it('fails step 1 with a wrong API key', async () => {
    const run = await runDemo({ ...env, API_KEY: 'not-the-key-0123456789' });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '[1/5] FAILED: POST /v1/tournaments returned 403 (api_key_invalid: The API key is not accepted), expected 201',
    );
    expect(run.stderr).toContain('Demo failed at step 1/5 (activate a tournament whose start time has passed).');
    expect(run.stdout).not.toContain('[2/5]');
  }, 60_000);

  it('fails step 3 without a mail catcher', async () => {
    const closedPort = await findFreePort();

    const run = await runDemo({ ...env, MAIL_URL: `http://127.0.0.1:${closedPort}` });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`[3/5] FAILED: could not reach the mail catcher at http://127.0.0.1:${closedPort}`);
    expect(run.stderr).toContain('Demo failed at step 3/5 (send an e-mail and find it in the mail catcher).');
  }, 60_000);

  it('rejects a second argument', async () => {
    const run = await runDemo(env, ['one.jpg', 'two.jpg']);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'Expected at most one argument, the path of a photo; got 2.\nUsage: npm run demo [-- path/to/photo.jpg]\n',
    );
  }, 60_000);
});
