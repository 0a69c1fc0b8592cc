import { QueueNames, queueNames, queues } from '@backbone/contracts';
import { ConfigError } from '@backbone/platform';

import { concurrencyFor, concurrencyVariable, lockSettingsFor } from '../src/config';
import { workerConfig } from './support/helpers';

describe('worker config', () => {
  it('serves every contract queue by default', () => {
    const config = workerConfig({});

    expect(config.WORKER_QUEUES).toEqual(queueNames);
  });

  it('serves only the queues named in WORKER_QUEUES', () => {
    const config = workerConfig({ WORKER_QUEUES: `${QueueNames.sendEmail}, ${QueueNames.scheduler}` });

    expect(config.WORKER_QUEUES).toEqual([QueueNames.sendEmail, QueueNames.scheduler]);
  });

  it('rejects an unknown queue naming it', () => {
    const load = () => workerConfig({ WORKER_QUEUES: `${QueueNames.sendEmail},thumbnails` });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/WORKER_QUEUES: unknown queue "thumbnails"/);
  });

  it('takes a per-queue concurrency over the default', () => {
    const config = workerConfig({
      WORKER_CONCURRENCY: '3',
      [concurrencyVariable(QueueNames.imageProcessing)]: '1',
    });

    expect(concurrencyVariable(QueueNames.imageProcessing)).toBe('WORKER_CONCURRENCY_IMAGE_PROCESSING');
    expect(concurrencyFor(config, QueueNames.imageProcessing)).toBe(1);
    expect(concurrencyFor(config, QueueNames.sendEmail)).toBe(3);
  });

  it('rejects a concurrency below one', () => {
    const load = () => workerConfig({ [concurrencyVariable(QueueNames.sendEmail)]: '0' });

    expect(load).toThrow(/WORKER_CONCURRENCY_SEND_EMAIL/);
  });

  it('takes lock settings from the contracts', () => {
    const config = workerConfig({});

    expect(lockSettingsFor(config, QueueNames.sendEmail)).toEqual({
      lockDurationMs: queues[QueueNames.sendEmail].worker.lockDurationMs,
      stalledIntervalMs: queues[QueueNames.sendEmail].worker.stalledIntervalMs,
      maxStalledCount: queues[QueueNames.sendEmail].worker.maxStalledCount,
    });
  });

  it('applies a lock override to every queue alike', () => {
    const config = workerConfig({ WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' });

    for (const queue of queueNames) {
      expect(lockSettingsFor(config, queue)).toMatchObject({ lockDurationMs: 2_000, stalledIntervalMs: 1_000 });
    }
  });

  it('rejects an SMTP_URL of another scheme', () => {
    const load = () => workerConfig({ SMTP_URL: 'http://127.0.0.1:25' });

    expect(load).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/);
  });
});
