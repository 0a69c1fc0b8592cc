import { JobNames, QueueNames } from '@backbone/contracts';
import { FileSystemMediaStore, MapStore } from '@backbone/game-store';
import { RedisTestServer } from '@backbone/redis-harness';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { AUTH, keySnapshot, startTestApi, type TestApi, totalJobs } from './helpers';

/** Smallest byte strings that carry each format's signature. */
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 2)]);

describe('api map images', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let testApi: TestApi;
  let media: FileSystemMediaStore;
  let mapId: string;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
    testApi = await startTestApi(server, { API_IMAGE_BODY_LIMIT_BYTES: '4096' });
    media = new FileSystemMediaStore(testApi.mediaDir);
  });

  beforeEach(async () => {
    await redis.flushdb();
    const map = await testApi.http.post('/v1/maps').set('Authorization', AUTH).send({ name: 'Dust' });
    mapId = map.body.id;
  });

  afterAll(async () => {
    await testApi.close();
    await server.cleanup();
  });

  const upload = (id: string, type: string, body: Buffer) =>
    testApi.http.put(`/v1/maps/${id}/image`).set('Authorization', AUTH).set('Content-Type', type).send(body);

  it('stores the original and queues a reference', async () => {
    const response = await upload(mapId, 'image/png', png);

    expect(response.status).toBe(202);
    expect(response.body.sourceKey).toMatch(new RegExp(`^originals/${mapId}/[0-9a-f-]{36}\\.png$`));
    await expect(media.read(response.body.sourceKey)).resolves.toEqual(png);
    const queue = new Queue(QueueNames.imageProcessing, { connection: redis });
    const [job] = await queue.getJobs(['wait']);
    expect(job?.name).toBe(JobNames.mapImage);
    expect(job?.data).toEqual({ mapId, sourceKey: response.body.sourceKey, _meta: { requestId: expect.any(String) } });
    await queue.close();
  });

  it('serves a variant once processed', async () => {
    const before = await testApi.http.get(`/v1/maps/${mapId}/image/thumbnail`).set('Authorization', AUTH);
    const webp = Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 thumbnail', 'latin1');
    // What the worker does after resizing: write the variant, then record it on the map.
    await media.put(`variants/${mapId}/thumbnail.webp`, webp);
    const variant = {
      key: `variants/${mapId}/thumbnail.webp`,
      width: 256,
      height: 144,
      contentType: 'image/webp',
      bytes: webp.length,
    };
    await new MapStore(redis).setImage(mapId, {
      sourceKey: `originals/${mapId}/x.png`,
      width: 1920,
      height: 1080,
      format: 'png',
      variants: { thumbnail: variant, large: { ...variant, key: `variants/${mapId}/large.webp` } },
      processedAt: new Date().toISOString(),
    });

    const after = await testApi.http.get(`/v1/maps/${mapId}/image/thumbnail`).set('Authorization', AUTH);
    const large = await testApi.http.get(`/v1/maps/${mapId}/image/large`).set('Authorization', AUTH);

    expect(before.status).toBe(404);
    expect(before.body.code).toBe('image_not_ready');
    expect(after.status).toBe(200);
    expect(after.headers['content-type']).toBe('image/webp');
    expect(Buffer.from(after.body)).toEqual(webp);
    expect(large.status).toBe(404);
    expect(large.body.code).toBe('image_not_ready');
  });

  it('answers 404 for an unknown variant', async () => {
    const response = await testApi.http.get(`/v1/maps/${mapId}/image/poster`).set('Authorization', AUTH);

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('image_variant_not_found');
  });

  describe('rejected uploads store and queue nothing', () => {
    let before: string[];

    beforeEach(async () => {
      before = await keySnapshot(redis);
    });

    afterEach(async () => {
      await expect(totalJobs(redis)).resolves.toBe(0);
      await expect(keySnapshot(redis)).resolves.toEqual(before);
      await expect(media.exists(`originals/${mapId}`)).resolves.toBe(false);
    });

    it('answers 415 for a non-image type', async () => {
      const response = await upload(mapId, 'application/pdf', png);

      expect(response.status).toBe(415);
      expect(response.body.code).toBe('unsupported_media_type');
    });

    it('answers 413 over the image limit', async () => {
      const response = await upload(mapId, 'image/png', Buffer.concat([png, Buffer.alloc(5_000)]));

      expect(response.status).toBe(413);
      expect(response.body.code).toBe('payload_too_large');
    });

    it('answers 400 for a mismatched signature', async () => {
      const response = await upload(mapId, 'image/png', jpeg);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_image');
    });

    it('answers 400 for an empty body', async () => {
      const response = await upload(mapId, 'image/png', Buffer.alloc(0));

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('image_missing');
    });

    it('answers 404 for an unknown map', async () => {
      const response = await upload('missing-map', 'image/jpeg', jpeg);

      expect(response.status).toBe(404);
      expect(response.body.code).toBe('map_not_found');
    });
  });
});
