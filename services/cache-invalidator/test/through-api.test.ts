import { ChannelNames } from '@backbone/contracts';
import { type MapImage, MapStore } from '@backbone/game-store';
import { EventPublisher } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';

import { AUTH, startTestApi, type TestApi } from '../../api/test/helpers';
import { type CacheInvalidatorHandle, startCacheInvalidator } from '../src';
import { captureLogger, eventually, testConfig } from './helpers';

function image(mapId: string): MapImage {
  const variant = {
    key: `maps/${mapId}/thumbnail.webp`,
    width: 256,
    height: 256,
    contentType: 'image/webp',
    bytes: 10,
  };
  return {
    sourceKey: 'originals/x.png',
    width: 512,
    height: 512,
    format: 'png',
    variants: { thumbnail: variant, large: { ...variant, key: `maps/${mapId}/large.webp` } },
    processedAt: new Date().toISOString(),
  };
}

/*
 * The api and the invalidator together, in one process, on the suite's own
 * Redis: what a client reads after an event, with a cache TTL long enough
 * that only invalidation can explain a fresh read.
 */
describe('cache freshness through the api', () => {
  let server: RedisTestServer;
  let testApi: TestApi;
  let invalidator: CacheInvalidatorHandle | undefined;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    testApi = await startTestApi(server, { CACHE_TTL_SECONDS: '3600' });
  });

  afterEach(async () => {
    await invalidator?.stop();
    invalidator = undefined;
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  async function startInvalidator(): Promise<CacheInvalidatorHandle> {
    return startCacheInvalidator(testConfig(server), { logger: captureLogger().logger });
  }

  async function createMap(): Promise<string> {
    const created = await testApi.http.post('/v1/maps').set('authorization', AUTH).send({ name: 'de_dust2' });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function changeImageAsWorkerDoes(id: string): Promise<number> {
    const redis = server.client();
    await new MapStore(redis).setImage(id, image(id));
    const receivers = await new EventPublisher(redis).publish(ChannelNames.mapUpdated, {
      mapId: id,
      changes: ['image'],
      timestamp: new Date().toISOString(),
    });
    redis.disconnect();
    return receivers;
  }

  const readImage = async (id: string): Promise<unknown> =>
    (await testApi.http.get(`/v1/maps/${id}`).set('authorization', AUTH)).body.image;

  it('serves the new image right after map:updated', async () => {
    invalidator = await startInvalidator();
    const id = await createMap();
    await expect(readImage(id)).resolves.toBeNull();

    await changeImageAsWorkerDoes(id);

    await expect(eventually(async () => (await readImage(id)) !== null, 2_000)).resolves.toBe(true);
  });

  it('serves fresh data after an event missed while stopped', async () => {
    const id = await createMap();
    await expect(readImage(id)).resolves.toBeNull();

    const receivers = await changeImageAsWorkerDoes(id);
    expect(receivers).toBe(0);
    await expect(readImage(id)).resolves.toBeNull();

    invalidator = await startInvalidator();

    await expect(readImage(id)).resolves.toMatchObject({ sourceKey: 'originals/x.png' });
  });
});
