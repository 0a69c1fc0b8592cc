import { EmailTemplates, JobNames, QueueNames, queues } from '@backbone/contracts';
import { JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';
import type { Queue } from 'bullmq';

import { sentMarkerKey } from '../src/processors/send-email';
import { startWorker, type WorkerHandle } from '../src/worker';
import { captureLogger, type LogRecord, waitFor, waitForJobEnd, workerConfig } from './support/helpers';
import { TestSmtpServer } from './support/smtp';

const PREFIX = 'send-email-test';
const RECIPIENT = 'player.one@example.com';

describe('send-email processor', () => {
  let server: RedisTestServer;
  let smtp: TestSmtpServer;
  let producer: JobProducer;
  let queue: Queue;
  let worker: WorkerHandle;
  let logs: { records: LogRecord[]; text: () => string };

  beforeAll(async () => {
    server = await RedisTestServer.start();
    smtp = await TestSmtpServer.start();
    producer = new JobProducer(server.client(), { prefix: PREFIX });
    queue = producer.queue(QueueNames.sendEmail);

    const captured = captureLogger();
    logs = captured;
    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.sendEmail,
      SMTP_URL: smtp.url(),
      EMAIL_FROM: 'Game Platform <no-reply@example.com>',
    });
    worker = await startWorker(config, { logger: captured.logger, opsHost: '127.0.0.1' });
  });

  afterEach(() => {
    smtp.reset();
  });

  afterAll(async () => {
    await worker.stop();
    await producer.close();
    await smtp.stop();
    await server.cleanup();
  });

  it('sends the given subject and text', async () => {
    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      subject: 'Welcome aboard',
      text: 'Your account is ready.',
    });

    const { state } = await waitForJobEnd(queue, added.id!);

    expect(state).toBe('completed');
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]).toMatchObject({
      from: 'no-reply@example.com',
      to: [RECIPIENT],
      subject: 'Welcome aboard',
    });
    expect(smtp.received[0]?.raw).toContain('Your account is ready.');
  });

  it('sends to every listed recipient', async () => {
    const to = [RECIPIENT, 'player.two@example.com'];
    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to,
      subject: 'Hi',
      html: '<p>Hi</p>',
    });

    await waitForJobEnd(queue, added.id!);

    expect(smtp.received[0]?.to).toEqual(to);
    expect(smtp.received[0]?.raw).toContain('<p>Hi</p>');
  });

  it('renders the tournament-started template', async () => {
    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      template: EmailTemplates.tournamentStarted,
      variables: { tournamentName: 'Winter Cup', startsAt: '2026-12-04T18:00:00.000Z' },
    });

    await waitForJobEnd(queue, added.id!);

    expect(smtp.received[0]?.subject).toBe('Tournament Winter Cup has started');
    expect(smtp.received[0]?.raw).toContain('started at 2026-12-04T18:00:00.000Z');
  });

  it('renders the map-completed template', async () => {
    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      template: EmailTemplates.mapCompleted,
      variables: { mapName: 'Dust', result: '16-14' },
    });

    await waitForJobEnd(queue, added.id!);

    expect(smtp.received[0]?.subject).toBe('Map Dust is complete');
    expect(smtp.received[0]?.raw).toContain('Result: 16-14');
  });

  it('fails a template job missing a variable without retries', async () => {
    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      template: EmailTemplates.tournamentStarted,
      variables: { tournamentName: 'Winter Cup' },
    });

    const { job, state } = await waitForJobEnd(queue, added.id!);

    expect(state).toBe('failed');
    expect(job.failedReason).toBe('Template "tournament-started" is missing variables: startsAt');
    expect(job.attemptsMade).toBe(1);
    expect(smtp.mailFromCount).toBe(0);
  });

  it('fails a malformed payload at once without sending', async () => {
    const added = await queue.add(JobNames.sendEmail, { to: 'not-an-address', subject: 'x', text: 'y' });

    const { job, state } = await waitForJobEnd(queue, added.id!);

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(/^Invalid data for job "send-email" of queue "send-email": data.to/);
    expect(job.attemptsMade).toBe(1);
    expect(smtp.mailFromCount).toBe(0);
  });

  it('fails a 5xx rejection without retries', async () => {
    smtp.rejection = { code: 550, message: 'Mailbox unavailable' };

    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      subject: 's',
      text: 't',
    });
    const { job, state } = await waitForJobEnd(queue, added.id!);

    expect(state).toBe('failed');
    expect(job.failedReason).toMatch(/^SMTP server rejected the e-mail permanently \(reply 550\)/);
    expect(job.attemptsMade).toBe(1);
    expect(smtp.received).toHaveLength(0);
  });

  it('retries a 4xx rejection with backoff', async () => {
    smtp.rejection = { code: 451, message: 'Try again later' };

    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      subject: 'Later',
      text: 't',
    });
    const delayed = await waitFor(async () => {
      // Read the state before the hash: a hash read first can predate the failed attempt.
      if ((await queue.getJobState(added.id!)) !== 'delayed') return undefined;
      return queue.getJob(added.id!);
    });
    const failedAt = delayed.finishedOn ?? Date.now();
    smtp.rejection = undefined;
    const { job, state } = await waitForJobEnd(queue, added.id!, 20_000);
    const backoffMs = (job.processedOn ?? 0) - failedAt;

    expect(delayed.failedReason).toMatch(/^SMTP send failed temporarily \(reply 451\)/);
    expect(delayed.attemptsMade).toBe(1);
    expect(state).toBe('completed');
    expect(job.attemptsMade).toBe(2);
    expect(backoffMs).toBeGreaterThanOrEqual(queues[QueueNames.sendEmail].defaultJobOptions.backoff.delay - 100);
    expect(smtp.received.map((email) => email.subject)).toEqual(['Later']);
  });

  it('never logs a recipient address', async () => {
    smtp.rejection = { code: 550, message: `No such user <${RECIPIENT}>` };

    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      subject: 's',
      text: 't',
    });
    const { job } = await waitForJobEnd(queue, added.id!);

    expect(logs.records.some((record) => record.jobId === added.id && record.level === 'error')).toBe(true);
    expect(logs.text()).not.toContain('@example.com');
    expect(job.failedReason).not.toContain(RECIPIENT);
  });

  it('does not send again when a sent job is retried', async () => {
    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      subject: 'Once',
      text: 't',
    });
    const first = await waitForJobEnd(queue, added.id!);
    const firstResult = first.job.returnvalue;
    const marker = sentMarkerKey(PREFIX, first.job);

    await first.job.retry('completed');
    const second = await waitFor(async () => {
      const job = await queue.getJob(added.id!);
      return job?.returnvalue?.sent === false ? job : undefined;
    });

    expect(firstResult).toMatchObject({ sent: true });
    expect(second.returnvalue).toEqual({ sent: false, reason: 'already sent' });
    expect(smtp.received.map((email) => email.subject)).toEqual(['Once']);
    expect(await server.client().ttl(marker)).toBeGreaterThan(7 * 24 * 3600);
  });
});

describe('send-email without an SMTP server', () => {
  let server: RedisTestServer;
  let worker: WorkerHandle;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await server.cleanup();
  });

  it('retries a refused connection', async () => {
    const closed = await TestSmtpServer.start();
    await closed.stop();
    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: QueueNames.sendEmail,
      SMTP_URL: closed.url(),
    });
    worker = await startWorker(config, { logger: captureLogger().logger, opsHost: '127.0.0.1' });
    const producer = new JobProducer(server.client(), { prefix: PREFIX });
    const queue = producer.queue(QueueNames.sendEmail);

    const added = await producer.enqueue(QueueNames.sendEmail, JobNames.sendEmail, {
      to: RECIPIENT,
      subject: 's',
      text: 't',
    });
    const delayed = await waitFor(async () => {
      // Read the state before the hash: a hash read first can predate the failed attempt.
      if ((await queue.getJobState(added.id!)) !== 'delayed') return undefined;
      return queue.getJob(added.id!);
    });
    await producer.close();

    expect(delayed.failedReason).toMatch(
      /^SMTP send failed temporarily \(ESOCKET\); it will be retried: connect ECONNREFUSED/,
    );
    expect(delayed.attemptsMade).toBe(1);
  });
});
