import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

/** States in which a run has not started yet. */
const PENDING_STATES = new Set(['delayed', 'waiting', 'prioritized', 'paused', 'waiting-children']);

/** Ids read from the wait and paused lists per round trip. */
const LIST_PAGE_SIZE = 1_000;

/** BullMQ 6 names each run of a job scheduler `repeat:<schedulerId>:<run time in epoch ms>`. */
export function schedulerRunId(schedulerId: string, runAtMs: number): string {
  return `repeat:${schedulerId}:${runAtMs}`;
}

function isRunOf(jobId: string, schedulerId: string): boolean {
  const prefix = `repeat:${schedulerId}:`;
  return jobId.startsWith(prefix) && /^\d+$/.test(jobId.slice(prefix.length));
}

/** Escapes the glob characters of `text` for a Redis MATCH pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/** Checks that run `jobId` exists and has not started, or is active when `countActive` is set. */
export async function isRunOutstanding(queue: Queue, jobId: string, countActive: boolean): Promise<boolean> {
  const state = await queue.getJobState(jobId);
  return PENDING_STATES.has(state) || (countActive && state === 'active');
}

/**
 * Lists the runs of scheduler `schedulerId` that wait to start, wherever
 * BullMQ keeps them: the delayed and prioritized sorted sets and the wait and
 * paused lists.
 *
 * NOTE: the wait and paused lists are read whole, one LRANGE per thousand
 * jobs, which is slow on a queue with a large backlog. This runs only when a
 * scheduler is created, restored or removed, never on an unchanged reconcile.
 */
export async function findPendingRuns(redis: Redis, queue: Queue, schedulerId: string): Promise<string[]> {
  const found = new Set<string>();
  const match = `repeat:${escapeGlob(schedulerId)}:*`;

  for (const key of [queue.keys.delayed, queue.keys.prioritized]) {
    if (key === undefined) {
      continue;
    }
    let cursor = '0';
    do {
      const [next, entries] = await redis.zscan(key, cursor, 'MATCH', match, 'COUNT', 500);
      cursor = next;
      for (let index = 0; index < entries.length; index += 2) {
        const jobId = String(entries[index]);
        if (isRunOf(jobId, schedulerId)) {
          found.add(jobId);
        }
      }
    } while (cursor !== '0');
  }

  for (const key of [queue.keys.wait, queue.keys.paused]) {
    if (key === undefined) {
      continue;
    }
    for (let start = 0; ; start += LIST_PAGE_SIZE) {
      const ids = await redis.lrange(key, start, start + LIST_PAGE_SIZE - 1);
      for (const jobId of ids) {
        if (isRunOf(jobId, schedulerId)) {
          found.add(jobId);
        }
      }
      if (ids.length < LIST_PAGE_SIZE) {
        break;
      }
    }
  }

  return [...found];
}
