import { RedisTestServer } from '@backbone/redis-harness';

import { runRealtimeBenchmark } from './scenarios/realtime';

/*
 * Stand-alone runner: `npx tsc -p bench && node bench/dist/realtime.js`.
 * Uses BENCH_REDIS_URL when set, otherwise a private redis-server on a free
 * loopback port. BENCH_REALTIME_CONNECTIONS, BENCH_REALTIME_SUBSCRIBERS,
 * BENCH_REALTIME_EVENTS and BENCH_REALTIME_INTERVAL_MS (pause between
 * publishes) change the sizes.
 */

async function main(): Promise<void> {
  const external = process.env.BENCH_REDIS_URL;
  const server = external === undefined ? await RedisTestServer.start() : undefined;
  const numberFrom = (name: string): number | undefined =>
    process.env[name] === undefined ? undefined : Number(process.env[name]);

  try {
    const result = await runRealtimeBenchmark(external ?? server!.url(), {
      idleConnections: numberFrom('BENCH_REALTIME_CONNECTIONS'),
      subscribers: numberFrom('BENCH_REALTIME_SUBSCRIBERS'),
      events: numberFrom('BENCH_REALTIME_EVENTS'),
      publishIntervalMs: numberFrom('BENCH_REALTIME_INTERVAL_MS'),
      log: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await server?.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
