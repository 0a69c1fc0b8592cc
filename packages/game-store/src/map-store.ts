import { randomUUID } from 'node:crypto';

import { entityIdSchema, type ImageVariantName, type MapStatus, MapStatuses } from '@backbone/contracts';
import { ConflictError, NotFoundError, toValidationIssues, ValidationError } from '@backbone/platform';
import type { Redis } from 'ioredis';
import { z } from 'zod';

import { mapKey, tournamentKey } from './keys';

/** One processed variant of a map image, stored in the media store. */
export interface ImageVariant {
  key: string;
  width: number;
  height: number;
  contentType: string;
  bytes: number;
}

/** The processed image of a map: the original's size and format, and its variants. */
export interface MapImage {
  sourceKey: string;
  width: number;
  height: number;
  format: string;
  variants: Record<ImageVariantName, ImageVariant>;
  processedAt: string;
}

export interface GameMap {
  id: string;
  name: string;
  tournamentId: string | null;
  status: MapStatus;
  /** Outcome given when the map was completed. */
  result: Record<string, unknown> | null;
  image: MapImage | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export const createMapSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  tournamentId: entityIdSchema.optional(),
});

export const completeMapSchema = z.strictObject({
  result: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Marks a pending map completed. KEYS[1] the map hash; ARGV[1] completion
 * time, ARGV[2] result JSON. Returns 'ok', 'missing' or 'completed'.
 */
const COMPLETE_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status == 'completed' then return 'completed' end
redis.call('HSET', KEYS[1], 'status', 'completed', 'completedAt', ARGV[1], 'updatedAt', ARGV[1], 'result', ARGV[2])
return 'ok'
`;

/** Sets one field of an existing map. KEYS[1] the map hash; ARGV field, value, time. Returns 1, or 0 when missing. */
const UPDATE_FIELD_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updatedAt', ARGV[3])
return 1
`;

/** Maps kept as one Redis hash each. */
export class MapStore {
  constructor(private readonly redis: Redis) {}

  /** Creates a pending map. Throws `ValidationError` and writes nothing on bad input or an unknown tournament. */
  async create(input: unknown): Promise<GameMap> {
    const parsed = createMapSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError('Invalid map', toValidationIssues(parsed.error.issues));
    }

    const tournamentId = parsed.data.tournamentId ?? null;
    if (tournamentId !== null && (await this.redis.exists(tournamentKey(tournamentId))) === 0) {
      throw new ValidationError('Invalid map', [{ path: ['tournamentId'], message: 'no tournament has this id' }]);
    }

    const now = new Date().toISOString();
    const map: GameMap = {
      id: randomUUID(),
      name: parsed.data.name,
      tournamentId,
      status: MapStatuses.pending,
      result: null,
      image: null,
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    };
    await this.redis.hset(mapKey(map.id), toHash(map));
    return map;
  }

  async get(id: string): Promise<GameMap | undefined> {
    return fromHash(await this.redis.hgetall(mapKey(id)));
  }

  /**
   * Marks the map completed with `result`. Throws `NotFoundError` for an
   * unknown map and `ConflictError` when it was already completed.
   */
  async complete(id: string, result: Record<string, unknown> | null): Promise<GameMap> {
    const now = new Date().toISOString();
    const outcome = await this.redis.eval(COMPLETE_SCRIPT, 1, mapKey(id), now, JSON.stringify(result));

    if (outcome === 'missing') {
      throw new NotFoundError('map_not_found', `Map "${id}" does not exist`);
    }
    if (outcome === 'completed') {
      throw new ConflictError('map_already_completed', `Map "${id}" is already completed`);
    }
    return (await this.get(id))!;
  }

  /** Records the processed image of a map. Returns false when the map does not exist. */
  async setImage(id: string, image: MapImage): Promise<boolean> {
    const updated = await this.redis.eval(
      UPDATE_FIELD_SCRIPT,
      1,
      mapKey(id),
      'image',
      JSON.stringify(image),
      new Date().toISOString(),
    );
    return updated === 1;
  }
}

function toHash(map: GameMap): Record<string, string> {
  return {
    id: map.id,
    name: map.name,
    tournamentId: map.tournamentId ?? '',
    status: map.status,
    result: JSON.stringify(map.result),
    image: JSON.stringify(map.image),
    createdAt: map.createdAt,
    updatedAt: map.updatedAt,
    completedAt: map.completedAt ?? '',
  };
}

function fromHash(hash: Record<string, string>): GameMap | undefined {
  if (hash.id === undefined) {
    return undefined;
  }
  return {
    id: hash.id,
    name: hash.name ?? '',
    tournamentId: hash.tournamentId === undefined || hash.tournamentId === '' ? null : hash.tournamentId,
    status: hash.status === MapStatuses.completed ? MapStatuses.completed : MapStatuses.pending,
    result: parseJson(hash.result) as Record<string, unknown> | null,
    image: parseJson(hash.image) as MapImage | null,
    createdAt: hash.createdAt ?? '',
    updatedAt: hash.updatedAt ?? '',
    completedAt: hash.completedAt === undefined || hash.completedAt === '' ? null : hash.completedAt,
  };
}

function parseJson(value: string | undefined): unknown {
  return value === undefined || value === '' ? null : JSON.parse(value);
}
