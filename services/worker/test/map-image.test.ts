import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChannelNames, ImageVariants, JobNames, MapChanges, QueueNames } from '@backbone/contracts';
import { FileSystemMediaStore, MapStore } from '@backbone/game-store';
import { createRedisConnection, JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';
import sharp from 'sharp';

import { mapImageVariantKey } from '../src/processors/map-image';
import { startWorker, type WorkerHandle } from '../src/worker';
import {
  captureLogger,
  collectEvents,
  FIXTURE_IMAGES_DIR,
  waitFor,
  waitForJobEnd,
  workerConfig,
} from './support/helpers';

const PREFIX = 'map-image-test';

describe('map-image processor', () => {
  let server: RedisTestServer;
  let mediaDir: string;
  let media: FileSystemMediaStore;
  let maps: MapStore;
  let producerConnection: Redis;
  let producer: JobProducer;
  let worker: WorkerHandle;
  let events: Record<string, unknown>[];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    mediaDir = await mkdtemp(join(tmpdir(), 'worker-media-'));
    media = new FileSystemMediaStore(mediaDir);
    maps = new MapStore(server.client());
    producerConnection = createRedisConnection(server.url(), 'producer');
    producer = new JobProducer(producerConnection, { prefix: PREFIX });
    events = await collectEvents(server.client(), ChannelNames.mapUpdated);

    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.imageProcessing,
      MEDIA_DIR: mediaDir,
    });
    worker = await startWorker(config, { logger: captureLogger().logger, opsHost: '127.0.0.1' });
  });

  afterAll(async () => {
    await worker.stop();
    await producer.close();
    producerConnection.disconnect();
    await server.cleanup();
    await rm(mediaDir, { recursive: true, force: true });
  });

  /** Creates a map, uploads `fixture` as its original and runs the job to its end. */
  async function processFixture(fixture: string | Buffer) {
    const map = await maps.create({ name: 'Dust' });
    const sourceKey = `uploads/${map.id}/original`;
    const bytes = typeof fixture === 'string' ? await readFile(join(FIXTURE_IMAGES_DIR, fixture)) : fixture;
    await media.put(sourceKey, bytes);

    const added = await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, { mapId: map.id, sourceKey });
    const { job, state } = await waitForJobEnd(producer.queue(QueueNames.imageProcessing), added.id!);
    return { map, job, state, stored: await maps.get(map.id) };
  }

  async function variantSize(mapId: string, variant: 'thumbnail' | 'large') {
    const metadata = await sharp(await media.read(mapImageVariantKey(mapId, variant))).metadata();
    return { width: metadata.width, height: metadata.height, format: metadata.format, space: metadata.space };
  }

  it('records the original size, format and WebP variants', async () => {
    const { map, state, stored } = await processFixture('Landscape_1.jpg');

    expect(state).toBe('completed');
    expect(stored?.image).toMatchObject({
      width: 600,
      height: 450,
      format: 'jpeg',
      sourceKey: `uploads/${map.id}/original`,
    });
    expect(stored?.image?.variants.thumbnail).toMatchObject({
      key: `maps/${map.id}/thumbnail.webp`,
      width: 256,
      height: 192,
      contentType: 'image/webp',
    });
    expect(stored?.image?.variants.large).toMatchObject({ key: `maps/${map.id}/large.webp`, width: 600, height: 450 });
  });

  it('stores variants whose recorded bytes match the files', async () => {
    const { map, stored } = await processFixture('concert.jpg');

    for (const variant of Object.values(ImageVariants)) {
      const file = await media.read(mapImageVariantKey(map.id, variant.name));
      expect(stored?.image?.variants[variant.name].bytes).toBe(file.length);
      expect((await sharp(file).metadata()).format).toBe('webp');
    }
  });

  it('publishes map:updated with the image change', async () => {
    const { map } = await processFixture('concert.jpg');

    const event = await waitFor(() => events.find((candidate) => candidate.mapId === map.id), 5_000, 'map:updated');
    expect(event.changes).toEqual([MapChanges.image]);
  });

  it('reports progress up to 100', async () => {
    const { job } = await processFixture('concert.jpg');

    expect(job.progress).toBe(100);
  });

  it('turns EXIF orientation 6 upright', async () => {
    const { map, stored } = await processFixture('Landscape_6.jpg');

    expect(stored?.image).toMatchObject({ width: 600, height: 450 });
    expect(await variantSize(map.id, 'large')).toMatchObject({ width: 600, height: 450 });
    expect(await variantSize(map.id, 'thumbnail')).toMatchObject({ width: 256, height: 192 });
  });

  it('turns EXIF orientation 8 upright', async () => {
    const { map, stored } = await processFixture('Portrait_8.jpg');

    expect(stored?.image).toMatchObject({ width: 450, height: 600 });
    expect(await variantSize(map.id, 'large')).toMatchObject({ width: 450, height: 600 });
    expect(await variantSize(map.id, 'thumbnail')).toMatchObject({ width: 192, height: 256 });
  });

  it('converts a CMYK original to sRGB', async () => {
    const { map, state } = await processFixture('Channel_digital_image_CMYK_color_no_profile.jpg');

    expect(state).toBe('completed');
    expect((await variantSize(map.id, 'large')).space).toBe('srgb');
    expect((await variantSize(map.id, 'thumbnail')).space).toBe('srgb');
  });

  it('keeps the first frame of an animated GIF', async () => {
    const { map, stored } = await processFixture('animated-loop-3.gif');

    const large = await sharp(await media.read(mapImageVariantKey(map.id, 'large'))).metadata();
    expect(stored?.image).toMatchObject({ width: 370, height: 285, format: 'gif' });
    expect(large.pages ?? 1).toBe(1);
    expect(large).toMatchObject({ width: 370, height: 285 });
  });

  it('converts a 16-bit grey PNG without upscaling', async () => {
    const { map, state } = await processFixture('16-bit-grey-alpha.png');

    expect(state).toBe('completed');
    expect(await variantSize(map.id, 'thumbnail')).toMatchObject({ width: 109, height: 96, space: 'srgb' });
  });

  it.each([
    ['truncated.jpg', /truncated or corrupt/],
    ['corrupt-header.jpg', /truncated or corrupt/],
  ])('fails %s without retries', async (fixture, reason) => {
    const { map, job, state, stored } = await processFixture(fixture);

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(reason);
    expect(job.attemptsMade).toBe(1);
    expect(stored?.image).toBeNull();
    expect(await media.exists(mapImageVariantKey(map.id, 'thumbnail'))).toBe(false);
    expect(events.some((event) => event.mapId === map.id)).toBe(false);
  });

  it('fails an unsupported format without retries', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    );

    const { job, state, stored } = await processFixture(svg);

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(/^Unsupported image format "svg"/);
    expect(job.attemptsMade).toBe(1);
    expect(stored?.image).toBeNull();
  });

  it('fails a file that is not an image', async () => {
    const { job, state } = await processFixture(Buffer.from('just some text, not pixels'));

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(/Unsupported image format/);
    expect(job.attemptsMade).toBe(1);
  });

  it('fails a missing original without retries', async () => {
    const map = await maps.create({ name: 'Nuke' });

    const added = await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, {
      mapId: map.id,
      sourceKey: `uploads/${map.id}/never-uploaded`,
    });
    const { job, state } = await waitForJobEnd(producer.queue(QueueNames.imageProcessing), added.id!);

    expect(state).toBe('failed');
    expect(job.failedReason).toBe(
      `Original image "uploads/${map.id}/never-uploaded" does not exist in the media store`,
    );
    expect(job.attemptsMade).toBe(1);
  });

  it('fails a malformed payload at once', async () => {
    const queue = producer.queue(QueueNames.imageProcessing);

    const added = await queue.add(JobNames.mapImage, { mapId: 'has spaces', sourceKey: '../etc/passwd' });
    const { job, state } = await waitForJobEnd(queue, added.id!);

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(/^Invalid data for job "map-image" of queue "image-processing": data.mapId/);
    expect(job.attemptsMade).toBe(1);
  });

  it('keeps processing after failed images', async () => {
    await processFixture('truncated.jpg');

    const { state } = await processFixture('concert.jpg');

    expect(state).toBe('completed');
  });
});

describe('map-image pixel limit', () => {
  let server: RedisTestServer;
  let mediaDir: string;
  let worker: WorkerHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    mediaDir = await mkdtemp(join(tmpdir(), 'worker-media-'));
  });

  afterAll(async () => {
    await worker?.stop();
    await server.cleanup();
    await rm(mediaDir, { recursive: true, force: true });
  });

  it('fails an oversized image without retries', async () => {
    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.imageProcessing,
      MEDIA_DIR: mediaDir,
      IMAGE_MAX_INPUT_PIXELS: '10000',
    });
    worker = await startWorker(config, { logger: captureLogger().logger, opsHost: '127.0.0.1' });
    const maps = new MapStore(server.client());
    const map = await maps.create({ name: 'Inferno' });
    await new FileSystemMediaStore(mediaDir).put(
      'uploads/big',
      await readFile(join(FIXTURE_IMAGES_DIR, 'concert.jpg')),
    );
    const producer = new JobProducer(server.client(), { prefix: PREFIX });

    const added = await producer.enqueue(QueueNames.imageProcessing, JobNames.mapImage, {
      mapId: map.id,
      sourceKey: 'uploads/big',
    });
    const { job, state } = await waitForJobEnd(producer.queue(QueueNames.imageProcessing), added.id!);
    await producer.close();

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(/exceeds the pixel limit/);
    expect(job.attemptsMade).toBe(1);
    expect((await maps.get(map.id))?.image).toBeNull();
  });
});
