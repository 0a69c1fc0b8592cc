import { type CacheEntryRef, type CacheNamespace, cacheEntryKey, cacheGenerationKey } from '@backbone/contracts';
import type { Redis } from 'ioredis';

/**
 * Reads the generation of a namespace and the entry under it in one round
 * trip. KEYS[1] generation key; ARGV[1] key prefix up to the generation,
 * ARGV[2] the rest of the key. Returns {generation, value or false}.
 */
const READ_SCRIPT = `
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2])}
`;

/**
 * Deletes entries under their namespace's current generation. ARGV contains
 * pairs of (namespace, id), and KEYS the generation key of each pair. Returns
 * how many entries existed and were unlinked.
 */
const INVALIDATE_SCRIPT = `
local deleted = 0
for index = 1, #KEYS do
  local generation = redis.call('GET', KEYS[index]) or '0'
  local key = 'cache:' .. ARGV[index * 2 - 1] .. ':' .. generation .. ':' .. ARGV[index * 2]
  deleted = deleted + redis.call('UNLINK', key)
end
return deleted
`;

export interface CacheAsideOptions {
  /** Lifetime of an entry; bounds how long a missed invalidation can serve stale data. */
  ttlSeconds: number;
}

export interface CacheRead<T> {
  value: T | undefined;
  hit: boolean;
}

/**
 * Cache-aside over Redis with generation-numbered keys, as laid out in the
 * contracts: `cache:<namespace>:<generation>:<id>`. Values are JSON.
 *
 * NOTE: a read that misses, loads from the store and writes back can race
 * with an invalidation that lands between its load and its write, leaving
 * the old value cached until the TTL ends. The TTL is the bound on that
 * window's damage.
 *
 * NOTE: the scripts build entry keys from ARGV, so on Redis Cluster they
 * work only when a namespace's keys share a slot, which these keys do not
 * guarantee.
 */
export class CacheAside {
  constructor(
    private readonly redis: Redis,
    private readonly options: CacheAsideOptions,
  ) {}

  /** Returns the cached value of `ref`, or loads it, caches it and returns it. `undefined` is never cached. */
  async get<T>(ref: CacheEntryRef, load: () => Promise<T | undefined>): Promise<CacheRead<T>> {
    const [generation, cached] = (await this.redis.eval(
      READ_SCRIPT,
      1,
      cacheGenerationKey(ref.namespace),
      `cache:${ref.namespace}:`,
      `:${ref.id}`,
    )) as [string, string | null];

    if (typeof cached === 'string') {
      return { value: JSON.parse(cached) as T, hit: true };
    }

    const value = await load();
    if (value !== undefined) {
      const key = cacheEntryKey(ref.namespace, Number(generation), ref.id);
      await this.redis.set(key, JSON.stringify(value), 'EX', this.options.ttlSeconds);
    }
    return { value, hit: false };
  }

  /** Deletes `entries` under their current generation and returns how many existed. */
  async invalidate(entries: readonly CacheEntryRef[]): Promise<number> {
    if (entries.length === 0) {
      return 0;
    }
    const keys = entries.map((entry) => cacheGenerationKey(entry.namespace));
    const pairs = entries.flatMap((entry) => [entry.namespace, entry.id]);
    return (await this.redis.eval(INVALIDATE_SCRIPT, keys.length, ...keys, ...pairs)) as number;
  }

  /**
   * Moves each namespace to a new generation, so every entry written before
   * becomes unreachable at once; old entries expire by their TTL. Throws the
   * first error that Redis returned for any of the increments.
   */
  async bumpGenerations(namespaces: readonly CacheNamespace[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const namespace of namespaces) {
      pipeline.incr(cacheGenerationKey(namespace));
    }
    const replies = (await pipeline.exec()) ?? [];
    const failure = replies.find(([error]) => error !== null)?.[0];
    if (failure) {
      throw failure;
    }
  }
}
