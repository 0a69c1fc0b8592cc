import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { findFreePort, RedisTestServer } from '@backbone/redis-harness';

import { readComposeFile, resolvedEnvironment } from './helpers/compose';
import { type ReplayResult, readDockerfile, replayDockerfile } from './helpers/dockerfile';
import { type ServiceProcess, startServiceProcess, waitForHttpOk } from './helpers/processes';
import { listServices, repositoryRoot, serviceOfCommand } from './helpers/services';

/*
 * Replays the Dockerfile's steps (copy the context, npm ci, build, prune) in
 * a temporary directory and starts every service from the pruned result,
 * which proves that nothing needs a development dependency at run time.
 * It takes a few minutes, so it runs only with DEPLOY_REPLAY=1; .ci/run
 * sets it.
 */
const enabled = process.env.DEPLOY_REPLAY === '1';
const describeReplay = enabled ? describe : describe.skip;
const REPLAY_TIMEOUT_MS = 10 * 60_000;

interface LockEntry {
  dev?: boolean;
}

describeReplay('Dockerfile replay', () => {
  let workDir: string;
  let replay: ReplayResult;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'docker-replay-'));
    replay = replayDockerfile(readDockerfile(), repositoryRoot, workDir);
  }, REPLAY_TIMEOUT_MS);

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  test('runs install, build and prune', () => {
    expect(replay.ranCommands.map((command) => command.replace(/^[^:]+: /, ''))).toEqual(
      expect.arrayContaining([
        'npm ci --no-audit --no-fund',
        'npm run build',
        'npm prune --omit=dev --no-audit --no-fund',
      ]),
    );
  });

  test('final stage only sets up the system', () => {
    for (const run of replay.skippedRuns) {
      expect(run).not.toMatch(/\b(npm|npx|node|tsc)\b/);
    }
  });

  test('pruned tree holds no development dependency', () => {
    const lock = JSON.parse(readFileSync(join(repositoryRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    // `dev` marks packages that only development dependencies need. npm keeps
    // `devOptional` ones (such as TypeScript when a production package lists
    // it as an optional peer), so they are not checked here.
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.dev === true && path.includes('node_modules/'))
      .map(([path]) => path);
    const present = devOnly.filter((path) => existsSync(join(replay.appDir, path)));

    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/jest', 'node_modules/ts-jest']));
    expect(present).toEqual([]);
  });

  test('every workspace has its compiled main', () => {
    const root = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { workspaces: string[] };
    const manifests = root.workspaces.flatMap((pattern) => {
      const parent = join(replay.appDir, pattern.replace(/\/\*$/, ''));
      return existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name, 'package.json')) : [];
    });
    const mains = manifests
      .filter((path) => existsSync(path))
      .map((path) => ({ path, main: (JSON.parse(readFileSync(path, 'utf8')) as { main?: string }).main }))
      .filter((entry): entry is { path: string; main: string } => entry.main !== undefined)
      .map((entry) => join(dirname(entry.path), entry.main));

    expect(mains.length).toBeGreaterThan(0);
    for (const main of mains) {
      expect({ main, built: existsSync(main) }).toEqual({ main, built: true });
    }
  });

  describe('services started from the pruned tree', () => {
    const services = listServices();
    let redis: RedisTestServer;

    beforeAll(async () => {
      redis = await RedisTestServer.start();
    });

    afterAll(async () => {
      await redis?.cleanup();
    });

    if (services.length === 0) {
      test.skip('start and stop (skipped: no service exists under services/ yet)', () => {});
    }

    for (const service of services) {
      test(`${service} starts, passes its health check and stops`, async () => {
        const composeService = Object.values(readComposeFile().services).find(
          (candidate) => serviceOfCommand(candidate.command) === service,
        );
        const port = await findFreePort();
        const mediaDir = mkdtempSync(join(tmpdir(), `media-${service}-`));
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '',
          ...(composeService === undefined ? {} : resolvedEnvironment(composeService)),
          REDIS_URL: redis.url(),
          API_PORT: String(port),
          REALTIME_PORT: String(port),
          OPS_PORT: String(port),
          MEDIA_DIR: mediaDir,
          LOG_FORMAT: 'json',
        };
        const child: ServiceProcess = startServiceProcess(service, [join('services', service, 'dist', 'main.js')], {
          cwd: replay.appDir,
          env,
        });
        try {
          await waitForHttpOk(child, port);

          const check = spawnSync(process.execPath, ['docker/healthcheck.js', String(port)], {
            cwd: replay.appDir,
            encoding: 'utf8',
          });
          expect({ service, status: check.status, stderr: check.stderr }).toEqual({ service, status: 0, stderr: '' });
          expect(await child.stop()).toBe(0);
        } finally {
          await child.stop().catch(() => undefined);
          rmSync(mediaDir, { recursive: true, force: true });
        }
      }, 60_000);
    }
  });
});

if (!enabled) {
  test.skip('Dockerfile replay (skipped: set DEPLOY_REPLAY=1 to run it; .ci/run does)', () => {});
}
