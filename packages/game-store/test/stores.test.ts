import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { FileSystemMediaStore, MapStore, MediaNotFoundError, TournamentStore } from '@backbone/game-store';
import { ConflictError, NotFoundError, ValidationError } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Redis } from 'ioredis';

const past = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const future = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('game stores', () => {
  let server: RedisTestServer;
  let redis: Redis;
  let tournaments: TournamentStore;
  let maps: MapStore;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
  });

  beforeEach(async () => {
    // The suite's own server: flushing it touches nothing else.
    await redis.flushdb();
    tournaments = new TournamentStore(redis);
    maps = new MapStore(redis);
  });

  afterAll(async () => {
    await server.cleanup();
  });

  describe('TournamentStore', () => {
    it('creates a scheduled tournament and reads it back', async () => {
      const created = await tournaments.create({ name: 'Winter Cup', startsAt: '2027-01-10T18:00:00+03:00' });

      expect(created).toMatchObject({ name: 'Winter Cup', status: 'scheduled', startsAt: '2027-01-10T15:00:00.000Z' });
      await expect(tournaments.get(created.id)).resolves.toEqual(created);
    });

    it.each([
      ['an empty name', { name: ' ', startsAt: future(5) }, 'name'],
      ['a start time without zone', { name: 'Cup', startsAt: '2027-01-10 18:00' }, 'startsAt'],
      ['an unknown field', { name: 'Cup', startsAt: future(5), prize: 100 }, ''],
    ])('rejects %s and writes nothing', async (_case, input, field) => {
      const attempt = tournaments.create(input);

      await expect(attempt).rejects.toThrow(ValidationError);
      await expect(attempt.catch((error: ValidationError) => error.issues[0]?.path.join('.'))).resolves.toBe(field);
      await expect(redis.dbsize()).resolves.toBe(0);
    });

    it('lists by status, earliest start first', async () => {
      const later = await tournaments.create({ name: 'Later', startsAt: future(60) });
      const sooner = await tournaments.create({ name: 'Sooner', startsAt: future(10) });

      const scheduled = await tournaments.list('scheduled');

      expect(scheduled.map((t) => t.id)).toEqual([sooner.id, later.id]);
      await expect(tournaments.list('active')).resolves.toEqual([]);
      await expect(tournaments.list()).resolves.toHaveLength(2);
    });

    it('activates only tournaments whose start has passed', async () => {
      const due = await tournaments.create({ name: 'Due', startsAt: past(5) });
      const notYet = await tournaments.create({ name: 'Not yet', startsAt: future(5) });

      const activated = await tournaments.activateDue();

      expect(activated.map((t) => t.id)).toEqual([due.id]);
      await expect(tournaments.get(due.id)).resolves.toMatchObject({
        status: 'active',
        activatedAt: expect.any(String),
      });
      await expect(tournaments.get(notYet.id)).resolves.toMatchObject({ status: 'scheduled', activatedAt: null });
      await expect(tournaments.list('active')).resolves.toHaveLength(1);
    });

    it('activates each tournament once when runs overlap', async () => {
      const created = await Promise.all(
        Array.from({ length: 40 }, (_, index) => tournaments.create({ name: `T${index}`, startsAt: past(1) })),
      );

      const runs = await Promise.all(Array.from({ length: 4 }, () => tournaments.activateDue(new Date(), 15)));
      const rest = await tournaments.activateDue();

      const activatedIds = [...runs.flat(), ...rest].map((t) => t.id);
      expect(activatedIds).toHaveLength(40);
      expect(new Set(activatedIds).size).toBe(40);
      expect(new Set(activatedIds)).toEqual(new Set(created.map((t) => t.id)));
    });
  });

  describe('MapStore', () => {
    it('creates a pending map linked to a tournament', async () => {
      const tournament = await tournaments.create({ name: 'Cup', startsAt: future(5) });

      const map = await maps.create({ name: 'de_dust2', tournamentId: tournament.id });

      expect(map).toMatchObject({ status: 'pending', tournamentId: tournament.id, result: null, image: null });
      await expect(maps.get(map.id)).resolves.toEqual(map);
    });

    it('rejects an unknown tournament and writes nothing', async () => {
      const attempt = maps.create({ name: 'de_nuke', tournamentId: 'missing' });

      await expect(attempt).rejects.toMatchObject({ issues: [{ path: ['tournamentId'] }] });
      await expect(redis.dbsize()).resolves.toBe(0);
    });

    it('completes a map once', async () => {
      const map = await maps.create({ name: 'de_inferno' });

      const completed = await maps.complete(map.id, { winner: 'blue', score: [16, 12] });

      expect(completed).toMatchObject({ status: 'completed', result: { winner: 'blue', score: [16, 12] } });
      await expect(maps.complete(map.id, null)).rejects.toThrow(ConflictError);
      await expect(maps.get(map.id)).resolves.toMatchObject({ result: { winner: 'blue', score: [16, 12] } });
    });

    it('completing an unknown map is not found and creates nothing', async () => {
      await expect(maps.complete('missing', null)).rejects.toThrow(NotFoundError);
      await expect(redis.dbsize()).resolves.toBe(0);
    });

    it('records a processed image', async () => {
      const map = await maps.create({ name: 'de_mirage' });
      const variant = {
        key: `maps/${map.id}/thumbnail.webp`,
        width: 256,
        height: 144,
        contentType: 'image/webp',
        bytes: 900,
      };
      const image = {
        sourceKey: 'originals/x.jpg',
        width: 1920,
        height: 1080,
        format: 'jpeg',
        variants: { thumbnail: variant, large: { ...variant, width: 1024, height: 576 } },
        processedAt: new Date().toISOString(),
      };

      await expect(maps.setImage(map.id, image)).resolves.toBe(true);
      await expect(maps.setImage('missing', image)).resolves.toBe(false);
      await expect(maps.get(map.id)).resolves.toMatchObject({ image });
      await expect(redis.exists('{game}:map:missing')).resolves.toBe(0);
    });
  });
});

describe('FileSystemMediaStore', () => {
  let root: string;
  let media: FileSystemMediaStore;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'media-test-'));
    media = new FileSystemMediaStore(root);
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes buffers and streams and reads them back', async () => {
    await expect(media.put('a/b/one.bin', Buffer.from('first'))).resolves.toEqual({ bytes: 5 });
    await expect(media.put('a/two.bin', Readable.from([Buffer.from('sec'), Buffer.from('ond')]))).resolves.toEqual({
      bytes: 6,
    });

    await expect(media.read('a/b/one.bin')).resolves.toEqual(Buffer.from('first'));
    await expect(media.exists('a/two.bin')).resolves.toBe(true);
    const { stream, bytes } = await media.open('a/two.bin');
    expect(bytes).toBe(6);
    expect(Buffer.concat(await stream.toArray()).toString()).toBe('second');
  });

  it('reports a missing key as not found', async () => {
    await expect(media.read('nothing.bin')).rejects.toThrow(MediaNotFoundError);
    await expect(media.open('nothing.bin')).rejects.toThrow(MediaNotFoundError);
    await expect(media.exists('nothing.bin')).resolves.toBe(false);
  });

  it.each(['../escape.bin', '/etc/passwd', 'a/../../b'])('refuses the key %s', async (key) => {
    await expect(media.put(key, Buffer.from('x'))).rejects.toThrow(/Invalid media key/);
  });

  it('removes a key and tolerates a second removal', async () => {
    await media.put('gone.bin', Buffer.from('x'));

    await media.remove('gone.bin');
    await media.remove('gone.bin');

    await expect(media.exists('gone.bin')).resolves.toBe(false);
  });
});
