import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ChannelNames, QueueNames, ScheduleIds, TournamentStatuses } from '@backbone/contracts';
import { TournamentStore } from '@backbone/game-store';
import { createSilentLogger, loadConfig } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import { startWorker, workerConfigShape } from '@backbone/worker';

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

    const mediaDir = mkdtempSync(join(tmpdir(), 'scheduler-e2e-'));
    const events: string[] = [];
    const listener = server.client();
    await listener.subscribe(ChannelNames.tournamentActivated);
    listener.on('message', (_channel: string, message: string) => events.push(message));

    const scheduler = await startScheduler(config, quietDeps());
    // The real worker service, serving only the queue the schedule feeds.
    const workerConfig = loadConfig(workerConfigShape, {
      env: {
        REDIS_URL: server.url(),
        BULLMQ_PREFIX: config.BULLMQ_PREFIX,
        OPS_PORT: '0',
        WORKER_QUEUES: QueueNames.scheduler,
        MEDIA_DIR: mediaDir,
      },
    });
    const worker = await startWorker(workerConfig, { logger: createSilentLogger(), opsHost: '127.0.0.1' });

    try {
      const activated = await waitFor(
        async () => (await store.get(due.id))?.status === TournamentStatuses.active,
        8_000,
      );

      expect(activated).toBe(true);
      expect((await store.get(later.id))?.status).toBe(TournamentStatuses.scheduled);
      await waitFor(async () => events.length > 0, 2_000);
      expect(events.map((message) => (JSON.parse(message) as { tournamentId: string }).tournamentId)).toEqual([due.id]);
    } finally {
      await worker.stop();
      await scheduler.stop();
      listener.disconnect();
      rmSync(mediaDir, { recursive: true, force: true });
    }
  });
});
