import { randomUUID } from 'node:crypto';

import type { Redis } from 'ioredis';

/** Deletes the lock only while it still holds this caller's token, so an expired lock taken over by another replica survives. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** Pause between two attempts to take a busy lock. */
const RETRY_DELAY_MS = 100;

export interface ReconcileLockOptions {
  key: string;
  /** Time after which Redis drops a lock its holder never released (a crashed replica). */
  ttlMs: number;
}

/**
 * A Redis lock (`SET key token NX PX ttl`) that lets one scheduler replica
 * at a time reconcile. Each holder has a random token and releases only its
 * own lock.
 */
export class ReconcileLock {
  constructor(
    private readonly redis: Redis,
    private readonly options: ReconcileLockOptions,
  ) {}

  /** Takes the lock if it is free and returns the token, or `undefined` when another holder has it. */
  async tryAcquire(): Promise<string | undefined> {
    const token = randomUUID();
    const reply = await this.redis.set(this.options.key, token, 'PX', this.options.ttlMs, 'NX');
    return reply === 'OK' ? token : undefined;
  }

  /**
   * Waits up to `waitMs` for the lock and returns the token, or `undefined`
   * when it stayed busy or `signal` was aborted first.
   */
  async acquire(waitMs: number, signal?: AbortSignal): Promise<string | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const token = await this.tryAcquire();
      if (token !== undefined || Date.now() >= deadline || signal?.aborted === true) {
        return token;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }

  /** Releases the lock held under `token`; returns `false` when it had expired or belongs to someone else. */
  async release(token: string): Promise<boolean> {
    const deleted = await this.redis.eval(RELEASE_SCRIPT, 1, this.options.key, token);
    return deleted === 1;
  }
}
