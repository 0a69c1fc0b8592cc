import { createHash } from 'node:crypto';

import type { Redis } from 'ioredis';

/** Record stored for one Idempotency-Key. */
export interface IdempotencyRecord {
  /** Id of the job the first request added. */
  jobId: string;
  /** SHA-256 of the queue, job name and options of the first request; a different request under the key is a conflict. */
  requestHash: string;
  createdAt: string;
}

export type ClaimResult = { claimed: true } | { claimed: false; record: IdempotencyRecord };

/**
 * Stores `ARGV[1]` under `KEYS[1]` for `ARGV[2]` seconds unless the key
 * exists; returns the existing value, or false after storing. One script so
 * that two concurrent requests with the same key cannot both claim it.
 */
const CLAIM_SCRIPT = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
return false
`;

/** Deletes `KEYS[1]` only while it still contains the record of job `ARGV[1]`. */
const RELEASE_SCRIPT = `
local existing = redis.call('GET', KEYS[1])
if not existing then return 0 end
if cjson.decode(existing).jobId ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/** Idempotency-Key values accepted: 1-255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Idempotency keys of job requests, kept in Redis for `ttlSeconds`
 * independently of the job, so a replay still finds the first job's id after
 * BullMQ removed the job itself.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  /** Claims `key` for `record`, or returns the record stored by an earlier request. */
  async claim(key: string, record: IdempotencyRecord): Promise<ClaimResult> {
    const existing = (await this.redis.eval(
      CLAIM_SCRIPT,
      1,
      storageKey(key),
      JSON.stringify(record),
      String(this.ttlSeconds),
    )) as string | null;

    if (existing === null) {
      return { claimed: true };
    }
    return { claimed: false, record: JSON.parse(existing) as IdempotencyRecord };
  }

  /** Forgets `key` when its job could not be added, so a retry of the request can add it. */
  async release(key: string, jobId: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, storageKey(key), jobId);
  }
}

/** Redis key of an idempotency key; hashed, so any client string makes a safe and short key. */
function storageKey(key: string): string {
  return `api:idempotency:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** SHA-256 of `value` as JSON with object keys sorted, so key order in a body does not matter. */
export function hashRequest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
