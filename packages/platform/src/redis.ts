import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

/** `redis://[user:password@]host[:port][/db]` or `rediss://` for TLS. */
export const redisUrlSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be a redis:// or rediss:// URL with a host, such as redis://127.0.0.1:6379/0' },
);

/**
 * Purpose of a connection; each role behaves differently while Redis is away.
 * - `producer`: api-side writes and reads. Fails at once instead of queueing
 *   commands, so a request gets a 503 rather than hanging. Commands issued
 *   in one event-loop turn go out in one write (auto-pipelining), which
 *   saves a system call per command under concurrent requests.
 * - `worker`: BullMQ workers and schedulers. Waits and reconnects for ever;
 *   BullMQ requires `maxRetriesPerRequest: null` here.
 * - `subscriber`: Pub/Sub. Waits and reconnects; ioredis subscribes again
 *   after a reconnect.
 */
export type RedisRole = 'producer' | 'worker' | 'subscriber';

/** How long a fail-fast connection waits for a TCP connection before giving up. */
const PRODUCER_CONNECT_TIMEOUT_MS = 2_000;

/** Maximum pause between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

const roleOptions: Record<RedisRole, RedisOptions> = {
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: PRODUCER_CONNECT_TIMEOUT_MS,
    enableAutoPipelining: true,
  },
  worker: {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
  },
  subscriber: {
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
  },
};

export interface RedisConnectionOptions {
  /** Client name shown by `CLIENT LIST`, handy to tell services apart. */
  name?: string;
  /** Extra ioredis options; they win over the role's defaults. */
  overrides?: RedisOptions;
}

/**
 * Opens a connection from `REDIS_URL`. The URL carries host, port, user,
 * password and database; `rediss://` turns TLS on.
 */
export function createRedisConnection(url: string, role: RedisRole, options: RedisConnectionOptions = {}): Redis {
  const parsed = new URL(url);
  const tls = parsed.protocol === 'rediss:' ? { tls: { servername: parsed.hostname } } : {};

  return new Redis(url, {
    ...roleOptions[role],
    ...tls,
    ...(options.name === undefined ? {} : { connectionName: options.name }),
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    ...options.overrides,
  });
}

/**
 * Returns whether Redis replies to a PING within `timeoutMs`. A connection that is
 * not ready counts as down at once, because a waiting connection would
 * otherwise hold the PING until Redis comes back.
 */
export async function pingRedis(connection: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (connection.status !== 'ready') {
    return false;
  }

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });

  try {
    const reply = await Promise.race([connection.ping().then((pong) => pong === 'PONG'), timeout]);
    return reply;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `connection` is ready for commands. A fail-fast connection
 * rejects commands until then, so services await this during start-up.
 */
export async function waitForRedisReady(connection: Redis, timeoutMs = 10_000): Promise<void> {
  if (connection.status === 'ready') {
    return;
  }

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      connection.off('ready', onReady);
      reject(new Error(`Redis was not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    connection.once('ready', onReady);
  });
}

/** Closes a connection, waiting for pending replies when Redis is reachable and dropping it otherwise. */
export async function closeRedis(connection: Redis): Promise<void> {
  if (connection.status === 'end') {
    return;
  }
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
