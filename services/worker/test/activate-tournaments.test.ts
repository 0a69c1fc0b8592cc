import { ChannelNames, JobNames, QueueNames, TournamentStatuses } from '@backbone/contracts';
import { TournamentStore } from '@backbone/game-store';
import { EventPublisher, JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Job } from 'bullmq';

import { activateTournamentsProcessor } from '../src/processors/activate-tournaments';
import { startWorker, type WorkerHandle } from '../src/worker';
import { captureLogger, collectEvents, sleep, waitFor, waitForJobEnd, workerConfig } from './support/helpers';

const PREFIX = 'activate-test';

describe('activate-tournaments processor', () => {
  let server: RedisTestServer;
  let store: TournamentStore;
  let events: Record<string, unknown>[];
  const workers: WorkerHandle[] = [];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    store = new TournamentStore(server.client());
    events = await collectEvents(server.client(), ChannelNames.tournamentActivated);
  });

  beforeEach(async () => {
    await server.client().flushall();
    events.length = 0;
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await server.cleanup();
  });

  async function createDue(count: number): Promise<string[]> {
    const past = new Date(Date.now() - 60_000).toISOString();
    const created = await Promise.all(
      Array.from({ length: count }, (_, index) => store.create({ name: `Cup ${index}`, startsAt: past })),
    );
    return created.map((tournament) => tournament.id);
  }

  it('activates due tournaments and leaves future ones', async () => {
    const due = await createDue(3);
    const future = await store.create({ name: 'Spring Cup', startsAt: new Date(Date.now() + 3_600_000).toISOString() });
    const processor = activateTournamentsProcessor({
      tournamentStore: store,
      publisher: new EventPublisher(server.client()),
    });

    const result = await processor.handle(
      { name: JobNames.activateTournaments, data: {} } as Job,
      new AbortController().signal,
    );

    expect((result as { activated: string[] }).activated.sort()).toEqual([...due].sort());
    expect((await store.get(future.id))?.status).toBe(TournamentStatuses.scheduled);
    for (const id of due) {
      expect((await store.get(id))?.status).toBe(TournamentStatuses.active);
    }
  });

  it('publishes one event per tournament for overlapping runs', async () => {
    const due = await createDue(200);
    const publisher = new EventPublisher(server.client());
    const first = activateTournamentsProcessor({ tournamentStore: new TournamentStore(server.client()), publisher });
    const second = activateTournamentsProcessor({ tournamentStore: new TournamentStore(server.client()), publisher });
    const job = { name: JobNames.activateTournaments, data: {} } as Job;

    const results = (await Promise.all([
      first.handle(job, new AbortController().signal),
      second.handle(job, new AbortController().signal),
    ])) as { activated: string[] }[];
    await waitFor(() => events.length >= due.length, 5_000, 'activation events');
    await sleep(200);

    const moved = results.flatMap((result) => result.activated);
    expect(moved.sort()).toEqual([...due].sort());
    expect(events.map((event) => event.tournamentId).sort()).toEqual([...due].sort());
  });

  it('activates once when two workers run queued jobs together', async () => {
    const due = await createDue(100);
    for (let index = 0; index < 2; index += 1) {
      const config = workerConfig({
        REDIS_URL: server.url(),
        BULLMQ_PREFIX: PREFIX,
        WORKER_QUEUES: QueueNames.scheduler,
      });
      workers.push(await startWorker(config, { logger: captureLogger().logger, opsHost: '127.0.0.1' }));
    }
    const producer = new JobProducer(server.client(), { prefix: PREFIX });

    const added = await Promise.all(
      Array.from({ length: 4 }, () => producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, {})),
    );
    const ended = await Promise.all(added.map((job) => waitForJobEnd(producer.queue(QueueNames.scheduler), job.id!)));
    await waitFor(() => events.length >= due.length, 5_000, 'activation events');
    await sleep(200);
    await producer.close();

    expect(ended.map((end) => end.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(events.map((event) => event.tournamentId).sort()).toEqual([...due].sort());
    expect(await store.list(TournamentStatuses.scheduled)).toEqual([]);
  });
});
