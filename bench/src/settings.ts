/** Sizes of one benchmark run. The short mode proves the benchmark works; the full mode gives the published figures. */
export interface BenchSettings {
  mode: 'short' | 'full';
  repetitions: number;
  /** Length of each enqueue load, in seconds. */
  enqueueSeconds: number;
  /** Levels of concurrent HTTP connections, and of concurrent `Queue.add` callers, for single-job loads. */
  connectionLevels: number[];
  /** Concurrent connections of the batch load, and concurrent `addBulk` callers. */
  batchConnections: number;
  batchSize: number;
  /** Requests sent to each HTTP server before its measured load. */
  warmupRequests: number;
  /** No-op jobs drained per processing run. */
  drainJobs: number;
  concurrencies: number[];
  /** Jobs per scaling run: 20 ms waits, and 5 ms of CPU. */
  ioJobs: number;
  cpuJobs: number;
  /** Requests or events per latency run, sent at `latencyRatePerSecond`. */
  latencyCount: number;
  latencyRatePerSecond: number;
  /** Runs of a schedule firing every second. */
  schedulerRuns: number;
  realtime: { idleConnections: number; subscribers: number; events: number; publishIntervalMs: number };
}

export function benchSettings(short: boolean): BenchSettings {
  if (short) {
    return {
      mode: 'short',
      repetitions: 3,
      enqueueSeconds: 0.5,
      connectionLevels: [10, 50],
      batchConnections: 5,
      batchSize: 100,
      // Every autocannon run lasts at least a second, so the short mode skips the warm-up.
      warmupRequests: 0,
      drainJobs: 1_000,
      concurrencies: [1, 10, 50],
      ioJobs: 400,
      cpuJobs: 150,
      latencyCount: 200,
      latencyRatePerSecond: 200,
      schedulerRuns: 3,
      realtime: { idleConnections: 500, subscribers: 100, events: 20, publishIntervalMs: 20 },
    };
  }
  return {
    mode: 'full',
    repetitions: 3,
    enqueueSeconds: 8,
    connectionLevels: [10, 50],
    batchConnections: 5,
    batchSize: 100,
    warmupRequests: 5_000,
    // At 7,000-10,000 no-op jobs/s, 10,000 jobs drain in about a second and
    // the ratio swung by 10-20 % between identical runs; 40,000 steadies it.
    drainJobs: 40_000,
    concurrencies: [1, 10, 50],
    ioJobs: 3_000,
    cpuJobs: 1_000,
    latencyCount: 3_000,
    latencyRatePerSecond: 200,
    schedulerRuns: 20,
    realtime: { idleConnections: 5_000, subscribers: 1_000, events: 100, publishIntervalMs: 50 },
  };
}
