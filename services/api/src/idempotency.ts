import { createHash } from 'node:crypto';

import { ConflictError, ValidationError } from '@backbone/platform';
import type { Redis } from 'ioredis';

/** Record stored for one Idempotency-Key. */
export interface IdempotencyRecord {
  /** Ids of the jobs the first request added: one, or one per job of a batch. */
  jobIds: string[];
  /** SHA-256 of the queue, jobs and options of the first request. A different request under the key is a conflict. */
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

/** Deletes `KEYS[1]` only while it still contains the record whose first job id is `ARGV[1]`. */
const RELEASE_SCRIPT = `
local existing = redis.call('GET', KEYS[1])
if not existing then return 0 end
if cjson.decode(existing).jobIds[1] ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

/** Idempotency-Key values accepted: 1-255 visible ASCII characters. */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Value of the Idempotency-Key header, `undefined` when absent; 400 when malformed. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (!IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw new ValidationError(`Invalid ${IDEMPOTENCY_KEY_HEADER} header`, [
      { path: [IDEMPOTENCY_KEY_HEADER], message: 'must be 1-255 visible ASCII characters' },
    ]);
  }
  return header;
}

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

  /** Forgets `key` when its jobs could not be added, so a retry of the request can add them. */
  async release(key: string, record: IdempotencyRecord): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, storageKey(key), record.jobIds[0] ?? '');
  }

  /**
   * Adds jobs at most once per key. Claims `key` for a record of `jobIds`
   * and runs `add`, or returns the ids stored by an earlier identical
   * request. Throws `ConflictError` when the key was used for a different
   * request, and releases the key when `add` fails.
   *
   * NOTE: a repeat that arrives while the first request is still adding gets
   * the claimed ids at once. If that first add then fails, the repeat has
   * returned ids of jobs that were never added.
   */
  async addOnce(
    key: string,
    requestHash: string,
    jobIds: string[],
    add: () => Promise<unknown>,
  ): Promise<{ jobIds: string[]; replayed: boolean }> {
    const record: IdempotencyRecord = { jobIds, requestHash, createdAt: new Date().toISOString() };
    const claim = await this.claim(key, record);

    if (!claim.claimed) {
      if (claim.record.requestHash !== requestHash) {
        throw new ConflictError(
          'idempotency_key_reused',
          'This Idempotency-Key was already used for a different request; send a new key',
        );
      }
      return { jobIds: claim.record.jobIds, replayed: true };
    }

    try {
      await add();
    } catch (error) {
      await this.release(key, record).catch(() => undefined);
      throw error;
    }
    return { jobIds, replayed: false };
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
