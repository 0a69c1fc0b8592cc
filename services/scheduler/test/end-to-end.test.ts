import { JobNames, QueueNames, ScheduleIds, TournamentStatuses } from '@backbone/contracts';
import { TournamentStore } from '@backbone/game-store';
import { readJob } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import { type Job, Worker } from 'bullmq';

import { startScheduler } from '../src/scheduler';
import { quietDeps, schedulerConfig, waitFor } from './helpers';

describe('scheduled tournament activation', () => {
  let server: RedisTestServer;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('activates a due tournament', async () => {
    const store = new TournamentStore(server.client());
    const due = await store.create({ name: 'Autumn cup', startsAt: new Date(Date.now() - 1_000).toISOString() });
    const later = await store.create({ name: 'Winter cup', startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    const config = schedulerConfig(server.url(), {
      SCHEDULER_OVERRIDES: JSON.stringify({ [ScheduleIds.activateTournaments]: { pattern: '*/2 * * * * *' } }),
    });

    const scheduler = await startScheduler(config, quietDeps());
    // Stands in for the worker service: the same processor contract, validated the same way.
    const worker = new Worker(
      QueueNames.scheduler,
      async (job: Job) => {
        readJob(QueueNames.scheduler, JobNames.activateTournaments, job);
        const activated = await store.activateDue();
        return { activated: activated.length };
      },
      { connection: server.client(), prefix: config.BULLMQ_PREFIX },
    );

    const activated = await waitFor(async () => (await store.get(due.id))?.status === TournamentStatuses.active, 8_000);
    await worker.close();
    await scheduler.stop();

    expect(activated).toBe(true);
    expect((await store.get(later.id))?.status).toBe(TournamentStatuses.scheduled);
  });
});
