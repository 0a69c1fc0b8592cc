import { QueueNames, ScheduleIds } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import { startScheduler } from '../src/scheduler';
import { countSchedulerKeys, quietDeps, schedulerConfig, sleep, waitFor } from './helpers';

/** Run time, in epoch ms, that BullMQ encodes at the end of a scheduler run's id. */
function runTimeOf(jobId: string): number {
  return Number(jobId.split(':').pop());
}

describe('missed runs while no worker runs', () => {
  let server: RedisTestServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    redis = server.client();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('runs once then resumes the schedule', async () => {
    const config = schedulerConfig(server.url(), {
      SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { pattern: '* * * * * *' } }),
    });
    const delayedKey = `${config.BULLMQ_PREFIX}:${QueueNames.scheduler}:delayed`;

    // Three periods pass with no worker, and the scheduler restarts twice meanwhile.
    const first = await startScheduler(config, quietDeps());
    const [overdueRun] = await redis.zrange(delayedKey, 0, -1);
    await sleep(1_500);
    await first.stop();
    const second = await startScheduler(config, quietDeps());
    await sleep(1_500);
    await second.stop();
    const scheduler = await startScheduler(config, quietDeps());

    const duringOutage = await countSchedulerKeys(redis, config.BULLMQ_PREFIX);
    expect(duringOutage.pending).toBe(1);
    expect(await redis.zrange(delayedKey, 0, -1)).toEqual([overdueRun]);

    const processed: { id: string; at: number }[] = [];
    const workerStartedAt = Date.now();
    const worker = new Worker(
      QueueNames.scheduler,
      async (job: Job) => {
        processed.push({ id: String(job.id), at: Date.now() });
      },
      { connection: server.client(), prefix: config.BULLMQ_PREFIX },
    );
    expect(await waitFor(() => processed.length >= 3, 8_000)).toBe(true);
    await worker.close();
    await scheduler.stop();

    const runTimes = processed.map((run) => runTimeOf(run.id));
    expect(processed[0]?.id).toBe(overdueRun);
    expect(runTimes.filter((runAt) => runAt < workerStartedAt)).toHaveLength(1);
    const resumed = runTimes.slice(1);
    for (const [index, runAt] of resumed.entries()) {
      expect(runAt % 1_000).toBe(0);
      if (index > 0) {
        // One second apart unless the loaded test machine delayed a run past the next slot.
        expect(runAt - Number(resumed[index - 1])).toBeGreaterThanOrEqual(1_000);
      }
    }
  });
});
