import { JobNames, QueueNames } from '@backbone/contracts';
import { JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Queue } from 'bullmq';

import { type ChildWorker, killWorker, spawnWorker } from './support/child-worker';
import { sleep, waitFor, waitForJobEnd } from './support/helpers';
import { TestSmtpServer } from './support/smtp';

const PREFIX = 'process-test';
const LOCK_DURATION_MS = 2_000;
const STALLED_INTERVAL_MS = 1_000;
const RECIPIENT = 'player@example.com';

describe('worker processes', () => {
  let server: RedisTestServer;
  let smtp: TestSmtpServer;
  let producer: JobProducer;
  let queue: Queue;
  const started: ChildWorker[] = [];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    smtp = await TestSmtpServer.start();
    producer = new JobProducer(server.client(), { prefix: PREFIX });
    queue = producer.queue(QueueNames.sendEmail);
  });

  afterEach(async () => {
    for (const worker of started.splice(0)) {
      killWorker(worker);
      await worker.exited;
    }
    smtp.reset();
    await queue.obliterate({ force: true });
  });

  afterAll(async () => {
    await producer.close();
    await smtp.stop();
    await server.cleanup();
  });

  function startChild(env: Record<string, string> = {}): ChildWorker {
    const worker = spawnWorker({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.sendEmail,
      SMTP_URL: smtp.url(),
      WORKER_LOCK_DURATION_MS: String(LOCK_DURATION_MS),
      WORKER_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      ...env,
    });
    started.push(worker);
    return worker;
  }

  function sendEmail(subject: string) {
    return producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, { to: RECIPIENT, subject, text: 'body' });
  }

  /** Holds every SMTP session at MAIL FROM until the returned function is called. */
  function holdSmtp(): () => void {
    let release: () => void = () => undefined;
    smtp.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    return release;
  }

  it('exits 0 on SIGTERM when idle', async () => {
    const worker = startChild();
    await worker.ready;

    worker.child.kill('SIGTERM');

    expect(await worker.exited).toBe(0);
  });

  it('exits 1 naming an unknown queue', async () => {
    const worker = startChild({ WORKER_QUEUES: 'thumbnails' });

    expect(await worker.exited).toBe(1);
    expect(worker.stderr.join('\n')).toMatch(/WORKER_QUEUES: unknown queue "thumbnails"/);
  });

  it('finishes the active job on SIGTERM and takes no new one', async () => {
    const worker = startChild({ SHUTDOWN_TIMEOUT_MS: '10000' });
    await worker.ready;
    const release = holdSmtp();
    const active = await sendEmail('in flight');
    await waitFor(() => smtp.mailFromCount === 1, 10_000, 'the SMTP session to start');

    worker.child.kill('SIGTERM');
    await waitFor(() => worker.records.some((record) => record.message === 'Service stopping'));
    const late = await sendEmail('after SIGTERM');
    setTimeout(release, 1_000);
    const code = await worker.exited;

    expect(code).toBe(0);
    expect(await (await queue.getJob(active.id!))?.getState()).toBe('completed');
    expect(await (await queue.getJob(late.id!))?.getState()).toBe('waiting');
    expect(smtp.received.map((email) => email.subject)).toEqual(['in flight']);
  });

  it('returns a job still running at the deadline to wait', async () => {
    const shutdownTimeoutMs = 2_000;
    const worker = startChild({ SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) });
    await worker.ready;
    const release = holdSmtp();
    const stuck = await sendEmail('stuck');
    await waitFor(() => smtp.mailFromCount === 1, 10_000, 'the SMTP session to start');

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const code = await worker.exited;
    const stoppedInMs = Date.now() - signalledAt;
    const job = await queue.getJob(stuck.id!);

    const state = await job?.getState();
    const failedCount = await queue.getFailedCount();
    const receivedBeforeRestart = smtp.received.length;
    smtp.hold = undefined;
    release();
    startChild();
    const rerun = await waitForJobEnd(queue, stuck.id!, 15_000);

    expect(code).toBe(0);
    expect(stoppedInMs).toBeGreaterThanOrEqual(shutdownTimeoutMs * 0.8 - 100);
    expect(stoppedInMs).toBeLessThan(shutdownTimeoutMs + 1_000);
    expect(worker.records.some((record) => record.message === 'Job returned to its queue')).toBe(true);
    expect(state).toBe('waiting');
    expect(job?.attemptsMade).toBe(0);
    expect(failedCount).toBe(0);
    expect(receivedBeforeRestart).toBe(0);
    expect(rerun.state).toBe('completed');
    expect(smtp.received.map((email) => email.subject)).toEqual(['stuck']);
  });

  it('recovers a job from a killed worker and sends once', async () => {
    const first = startChild();
    await first.ready;
    const release = holdSmtp();
    const added = await sendEmail('survives a crash');
    await waitFor(() => smtp.mailFromCount === 1, 10_000, 'the first SMTP session to start');
    smtp.hold = undefined;
    const second = startChild();
    await second.ready;

    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;
    release();
    const { job, state } = await waitForJobEnd(queue, added.id!, 15_000);

    expect(state).toBe('completed');
    expect(job.processedOn! - killedAt).toBeLessThan(LOCK_DURATION_MS + STALLED_INTERVAL_MS + 1_000);
    expect(smtp.received.map((email) => email.subject)).toEqual(['survives a crash']);
    // The line is written just after the completion is sent, so it may trail the state read above.
    const completedLines = await waitFor(() => {
      const lines = second.records.filter((record) => record.jobId === added.id && record.message === 'Job completed');
      return lines.length > 0 && lines;
    });
    await sleep(100);
    expect(completedLines).toHaveLength(1);
  });

  it('processes each job once across two workers', async () => {
    const workers = [startChild({ WORKER_CONCURRENCY: '5' }), startChild({ WORKER_CONCURRENCY: '5' })];
    await Promise.all(workers.map((worker) => worker.ready));
    const subjects = Array.from({ length: 200 }, (_, index) => `message ${index}`);

    const added = await producer.addBulk(
      QueueNames.sendEmail,
      subjects.map((subject) => ({ name: JobNames.sendEmail, data: { to: RECIPIENT, subject, text: 'body' } })),
    );
    await waitFor(async () => (await queue.getCompletedCount()) === added.length, 30_000, 'every job to complete');
    await sleep(300);
    const completedBy = workers.map(
      (worker) => worker.records.filter((record) => record.message === 'Job completed').length,
    );

    expect(smtp.received.map((email) => email.subject).sort()).toEqual([...subjects].sort());
    expect(completedBy[0]! + completedBy[1]!).toBe(subjects.length);
    expect(completedBy[0]).toBeGreaterThan(0);
    expect(completedBy[1]).toBeGreaterThan(0);
  }, 45_000);
});

describe('worker process without Redis', () => {
  let server: RedisTestServer;
  let worker: ChildWorker | undefined;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    killWorker(worker);
    await server.cleanup();
  });

  it('still exits within the shutdown timeout on SIGTERM', async () => {
    const shutdownTimeoutMs = 3_000;
    worker = spawnWorker({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    await worker.ready;
    await server.kill();
    await sleep(500);

    const signalledAt = Date.now();
    worker.child.kill('SIGTERM');
    const code = await worker.exited;

    expect(Date.now() - signalledAt).toBeLessThan(shutdownTimeoutMs + 500);
    expect(code).toBe(0);
  });
});
