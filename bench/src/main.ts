import { RedisTestServer } from '@backbone/redis-harness';

import { describeMachine } from './machine';
import { type BenchResults, writeReports } from './report';
import { measureEnqueue } from './scenarios/enqueue';
import { measureInvalidationLatency, measureJobLatency } from './scenarios/latency';
import { drainRate } from './scenarios/processing';
import { runRealtimeBenchmark } from './scenarios/realtime';
import { measureSchedulerDelay } from './scenarios/scheduler';
import { benchSettings } from './settings';

/*
 * `npm run bench` (add `-- --short` for the quick mode): starts a private
 * redis-server with persistence off on a free loopback port, runs every
 * scenario `repetitions` times, and writes docs/benchmarks.md and
 * docs/ru/benchmarks.md. Services run from their compiled output as child
 * processes, as in production, with JSON logs at info.
 */

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
};

async function main(): Promise<void> {
  const short = process.argv.includes('--short');
  const settings = benchSettings(short);
  const server = await RedisTestServer.start();
  const connection = server.client();
  const startedAt = Date.now();

  const results: BenchResults = {
    settings,
    machine: describeMachine(),
    command: `npm run bench${short ? ' -- --short' : ''}`,
    date: new Date().toISOString(),
    enqueue: [],
    processing: Object.fromEntries(settings.concurrencies.map((c) => [c, { service: [], quiet: [], plain: [] }])),
    scaling: { io: { one: [], two: [] }, cpu: { one: [], two: [] } },
    jobLatency: [],
    invalidationLatency: [],
    scheduler: [],
    realtime: [],
    durationSeconds: 0,
  };

  try {
    for (let repetition = 1; repetition <= settings.repetitions; repetition += 1) {
      log(`repetition ${repetition}/${settings.repetitions}: enqueue`);
      results.enqueue.push(
        await measureEnqueue({
          redisUrl: server.url(),
          connection,
          prefix: `enqueue${repetition}`,
          durationSeconds: settings.enqueueSeconds,
          connectionLevels: settings.connectionLevels,
          batchConnections: settings.batchConnections,
          batchSize: settings.batchSize,
          warmupRequests: settings.warmupRequests,
        }),
      );

      for (const concurrency of settings.concurrencies) {
        log(`repetition ${repetition}: processing at concurrency ${concurrency}`);
        for (const implementation of ['plain', 'service', 'quiet'] as const) {
          const rate = await drainRate({
            redisUrl: server.url(),
            connection,
            implementation,
            kind: 'noop',
            concurrency,
            processes: 1,
            jobs: settings.drainJobs,
          });
          results.processing[concurrency]![implementation].push(rate);
        }
      }

      log(`repetition ${repetition}: scaling`);
      for (const [kind, jobs, concurrency] of [
        ['io', settings.ioJobs, 10],
        ['cpu', settings.cpuJobs, 1],
      ] as const) {
        for (const processes of [1, 2] as const) {
          const rate = await drainRate({
            redisUrl: server.url(),
            connection,
            implementation: 'service',
            kind: kind === 'io' ? 'io20' : 'cpu5',
            concurrency,
            processes,
            jobs,
          });
          results.scaling[kind][processes === 1 ? 'one' : 'two'].push(rate);
        }
      }

      log(`repetition ${repetition}: latency`);
      results.jobLatency.push(
        await measureJobLatency({
          redisUrl: server.url(),
          connection,
          prefix: `latency${repetition}`,
          ratePerSecond: settings.latencyRatePerSecond,
          count: settings.latencyCount,
        }),
      );
      results.invalidationLatency.push(
        await measureInvalidationLatency({
          redisUrl: server.url(),
          connection,
          ratePerSecond: settings.latencyRatePerSecond,
          count: settings.latencyCount,
        }),
      );

      log(`repetition ${repetition}: scheduler`);
      results.scheduler.push(
        await measureSchedulerDelay({
          redisUrl: server.url(),
          connection,
          prefix: `scheduler${repetition}`,
          runs: settings.schedulerRuns,
        }),
      );

      log(`repetition ${repetition}: realtime`);
      results.realtime.push(await runRealtimeBenchmark(server.url(), settings.realtime));
    }
  } finally {
    connection.disconnect();
    await server.cleanup();
  }

  results.durationSeconds = Math.round((Date.now() - startedAt) / 1000);
  const written = writeReports(results);
  log(`done in ${results.durationSeconds} s; wrote ${written.join(', ')}`);
}

main().then(
  // Scenario clients may still hold timers or sockets; the run is over, so exit.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
