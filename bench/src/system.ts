import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { findFreePort } from '@backbone/redis-harness';

import { type BenchProcess, httpReady, startNode } from './processes';

const root = join(__dirname, '..', '..');

/** API key the benchmark's api accepts. */
export const BENCH_API_KEY = 'bench-key-0123456789abcdef';

/** A service of this repository started from its compiled entry point, as in production. */
export interface RunningService {
  process: BenchProcess;
  /** Port of its HTTP server: the api's own, or the ops server of the others. */
  port: number;
}

/** Environment every benchmarked service gets: production settings, JSON logs at info. */
function baseEnv(redisUrl: string, prefix: string): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    BULLMQ_PREFIX: prefix,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
  };
}

/**
 * Starts `services/<name>/dist/main.js` against `redisUrl` with `env` on top,
 * and waits until its `/readyz` responds 200.
 */
export async function startService(
  name: 'api' | 'worker' | 'scheduler' | 'cache-invalidator',
  redisUrl: string,
  prefix: string,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const port = await findFreePort();
  const portVariable = name === 'api' ? 'API_PORT' : 'OPS_PORT';
  const mediaDir = mkdtempSync(join(tmpdir(), 'bench-media-'));
  const serviceEnv = {
    ...baseEnv(redisUrl, prefix),
    [portVariable]: String(port),
    API_KEYS: BENCH_API_KEY,
    MEDIA_DIR: mediaDir,
    ...env,
  };

  const started = await startNode(
    join(root, 'services', name, 'dist', 'main.js'),
    serviceEnv,
    httpReady(`http://127.0.0.1:${port}/readyz`),
  );
  const stop = started.stop;
  started.stop = async () => {
    await stop();
    rmSync(mediaDir, { recursive: true, force: true });
  };
  return { process: started, port };
}
