import { JobNames, QueueNames } from '@backbone/contracts';
import { JobProducer } from '@backbone/platform';
import { RedisTestServer } from '@backbone/redis-harness';

import { startWorker, type WorkerHandle } from '../src/worker';
import { captureLogger, type LogRecord, metricValue, waitFor, waitForJobEnd, workerConfig } from './support/helpers';
import { TestSmtpServer } from './support/smtp';

const PREFIX = 'observability-test';

describe('worker observability', () => {
  let server: RedisTestServer;
  let smtp: TestSmtpServer;
  let producer: JobProducer;
  let worker: WorkerHandle;
  let records: LogRecord[];

  beforeAll(async () => {
    server = await RedisTestServer.start();
    smtp = await TestSmtpServer.start();
    producer = new JobProducer(server.client(), { prefix: PREFIX });
    const captured = captureLogger();
    records = captured.records;
    const config = workerConfig({
      REDIS_URL: server.url(),
      BULLMQ_PREFIX: PREFIX,
      WORKER_QUEUES: `${QueueNames.sendEmail},${QueueNames.scheduler}`,
      SMTP_URL: smtp.url(),
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

  function logsOf(jobId: string | undefined): LogRecord[] {
    return records.filter((record) => record.jobId === jobId);
  }

  async function sendEmail(requestId: string) {
    const added = await producer.enqueue(
      QueueNames.sendEmail,
      JobNames.sendEmail,
      { to: 'fan@example.com', subject: 'Hello', text: 'Hi' },
      { requestId },
    );
    return added.id!;
  }

  it('logs start at debug and completion at info', async () => {
    const jobId = await sendEmail('req-complete');
    await waitForJobEnd(producer.queue(QueueNames.sendEmail), jobId);

    const expected = {
      jobId,
      queue: QueueNames.sendEmail,
      name: JobNames.sendEmail,
      attempt: 1,
      requestId: 'req-complete',
    };
    const started = logsOf(jobId).find((record) => record.message === 'Job started');
    const completed = await waitFor(() => logsOf(jobId).find((record) => record.message === 'Job completed'));
    expect(started).toMatchObject({ level: 'debug', ...expected });
    expect(completed).toMatchObject({ level: 'info', ...expected });
    expect(typeof completed?.durationMs).toBe('number');
  });

  it('logs a failure that will be retried at warn', async () => {
    smtp.rejection = { code: 421, message: 'Service not available' };

    const jobId = await sendEmail('req-retry');
    const warned = await waitFor(() =>
      logsOf(jobId).find((record) => record.message === 'Job failed and will be retried'),
    );

    expect(warned).toMatchObject({ level: 'warn', queue: QueueNames.sendEmail, attempt: 1, requestId: 'req-retry' });
    expect(warned.reason).toMatch(/reply 421/);
  });

  it('logs a final failure at error', async () => {
    smtp.rejection = { code: 554, message: 'Transaction failed' };

    const jobId = await sendEmail('req-final');
    await waitForJobEnd(producer.queue(QueueNames.sendEmail), jobId);
    const failed = logsOf(jobId).find((record) => record.message === 'Job failed without further retries');

    expect(failed).toMatchObject({ level: 'error', queue: QueueNames.sendEmail, name: JobNames.sendEmail, attempt: 1 });
    expect(failed?.requestId).toBe('req-final');
  });

  it('serves processed, failed and duration metrics per queue', async () => {
    const added = await producer.enqueue(QueueNames.scheduler, JobNames.activateTournaments, {});
    await waitForJobEnd(producer.queue(QueueNames.scheduler), added.id!);

    const body = await (await fetch(`http://127.0.0.1:${worker.opsPort}/metrics`)).text();

    const scheduler = { queue: QueueNames.scheduler, name: JobNames.activateTournaments };
    expect(metricValue(body, 'worker_jobs_processed_total', scheduler)).toBe(1);
    expect(metricValue(body, 'worker_job_duration_seconds_count', { ...scheduler, outcome: 'completed' })).toBe(1);
    expect(
      metricValue(body, 'worker_jobs_failed_total', { queue: QueueNames.sendEmail, final: 'true' }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(body, 'worker_jobs_failed_total', { queue: QueueNames.sendEmail, final: 'false' }),
    ).toBeGreaterThan(0);
  });

  it('reports ready while Redis and workers run', async () => {
    const response = await fetch(`http://127.0.0.1:${worker.opsPort}/readyz`);

    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ready', checks: { redis: true, workers: true } });
  });
});
