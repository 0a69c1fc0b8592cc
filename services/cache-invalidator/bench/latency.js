// Measures the cache-invalidator against a private redis-server started by
// the test harness: the time from publish to entry gone for events sent one
// at a time, and the throughput of a burst. Run `npm run build` first, then
// `node services/cache-invalidator/bench/latency.js`.
const { CacheNamespaces, ChannelNames, cacheEntryKey, cacheGenerationKey } = require('@backbone/contracts');
const {
  CacheAside,
  createRedisConnection,
  createSilentLogger,
  EventPublisher,
  loadConfig,
} = require('@backbone/platform');
const { RedisTestServer } = require('@backbone/redis-harness');

const { cacheInvalidatorConfigShape, startCacheInvalidator } = require('../dist');

const SEQUENTIAL_EVENTS = 500;
const BURST_EVENTS = 20_000;

async function handledCount(registry) {
  const { values } = await registry.getSingleMetric('cache_invalidation_delay_seconds').get();
  return values.filter((value) => value.metricName.endsWith('_count')).reduce((sum, value) => sum + value.value, 0);
}

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

async function main() {
  const server = await RedisTestServer.start();
  const config = loadConfig(cacheInvalidatorConfigShape, { env: { REDIS_URL: server.url(), OPS_PORT: '0' } });
  const invalidator = await startCacheInvalidator(config, { logger: createSilentLogger() });
  const redis = server.client();
  const cache = new CacheAside(redis, { ttlSeconds: 300 });
  const publisherConnection = createRedisConnection(server.url(), 'worker');
  const publisher = new EventPublisher(publisherConnection);

  const durationsMs = [];
  for (let index = 0; index < SEQUENTIAL_EVENTS; index += 1) {
    const mapId = `sequential-${index}`;
    await cache.get({ namespace: CacheNamespaces.maps, id: mapId }, async () => 'cached');
    const generation = Number((await redis.get(cacheGenerationKey(CacheNamespaces.maps))) ?? '0');
    const key = cacheEntryKey(CacheNamespaces.maps, generation, mapId);

    const startedAt = process.hrtime.bigint();
    await publisher.publish(ChannelNames.mapCompleted, {
      mapId,
      tournamentId: null,
      result: null,
      timestamp: new Date().toISOString(),
    });
    while ((await redis.exists(key)) === 1) {
      // Poll without a pause; each EXISTS is one round trip.
    }
    durationsMs.push(Number(process.hrtime.bigint() - startedAt) / 1e6);
  }
  durationsMs.sort((a, b) => a - b);
  console.log(
    `one at a time, ${SEQUENTIAL_EVENTS} events, publish to entry gone: ` +
      `p50 ${percentile(durationsMs, 0.5).toFixed(2)} ms, p99 ${percentile(durationsMs, 0.99).toFixed(2)} ms, ` +
      `max ${durationsMs.at(-1).toFixed(2)} ms`,
  );

  const handledBefore = await handledCount(invalidator.registry);
  const burstStartedAt = Date.now();
  await Promise.all(
    Array.from({ length: BURST_EVENTS }, (_, index) =>
      publisher.publish(ChannelNames.mapUpdated, {
        mapId: `burst-${index % 1_000}`,
        changes: ['name'],
        timestamp: new Date().toISOString(),
      }),
    ),
  );
  while ((await handledCount(invalidator.registry)) - handledBefore < BURST_EVENTS) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const burstMs = Date.now() - burstStartedAt;
  console.log(
    `burst of ${BURST_EVENTS} events handled in ${burstMs} ms, ` +
      `${Math.round(BURST_EVENTS / (burstMs / 1_000))} events/s`,
  );

  await invalidator.stop();
  publisherConnection.disconnect();
  await server.cleanup();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
