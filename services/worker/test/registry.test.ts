import { JobNames, QueueNames } from '@backbone/contracts';
import { RedisTestServer } from '@backbone/redis-harness';

import { buildProcessorRegistry, defineProcessor, type Processor, ProcessorRegistryError } from '../src/registry';
import { createProcessors, startWorker } from '../src/worker';
import { captureLogger, workerConfig } from './support/helpers';

const noop = async (): Promise<void> => undefined;

function completeSet(): Processor[] {
  return [
    defineProcessor(QueueNames.imageProcessing, JobNames.mapImage, noop),
    defineProcessor(QueueNames.sendEmail, JobNames.sendEmail, noop),
    defineProcessor(QueueNames.scheduler, JobNames.activateTournaments, noop),
  ];
}

describe('processor registry', () => {
  it('maps every declared job to its processor', () => {
    const processors = completeSet();

    const registry = buildProcessorRegistry(processors);

    expect(registry.get(QueueNames.sendEmail)?.get(JobNames.sendEmail)).toBe(processors[1]!.handle);
  });

  it('rejects a job without a processor naming it', () => {
    const build = () => buildProcessorRegistry(completeSet().slice(1));

    expect(build).toThrow(ProcessorRegistryError);
    expect(build).toThrow('job "map-image" of queue "image-processing" has no processor');
  });

  it('rejects a job with two processors naming it', () => {
    const processors = [...completeSet(), defineProcessor(QueueNames.scheduler, JobNames.activateTournaments, noop)];

    expect(() => buildProcessorRegistry(processors)).toThrow(
      'job "activate-tournaments" of queue "scheduler" has 2 processors; expected exactly one',
    );
  });

  it('rejects a processor for an undeclared job', () => {
    const processors = [...completeSet(), { queue: QueueNames.scheduler, name: 'purge-maps', handle: noop }];

    expect(() => buildProcessorRegistry(processors)).toThrow(
      'job "purge-maps" of queue "scheduler" has a processor but is not declared in the contracts',
    );
  });

  it('covers every declared job with the real processors', () => {
    const { logger } = captureLogger();
    const config = workerConfig({});

    const processors = createProcessors({ config, redis: {} as never, publisher: {} as never, logger });

    expect(() => buildProcessorRegistry(processors)).not.toThrow();
  });
});

describe('worker start-up', () => {
  let server: RedisTestServer;

  beforeAll(async () => {
    server = await RedisTestServer.start();
  });

  afterAll(async () => {
    await server.cleanup();
  });

  it('fails naming the job without a processor', async () => {
    const { logger } = captureLogger();
    const config = workerConfig({ REDIS_URL: server.url() });

    const start = startWorker(config, { logger, processors: () => completeSet().slice(0, 2) });

    await expect(start).rejects.toThrow('job "activate-tournaments" of queue "scheduler" has no processor');
  });

  it('takes no job when start-up fails', async () => {
    const { logger } = captureLogger();
    const config = workerConfig({ REDIS_URL: server.url() });
    const client = server.client();

    await startWorker(config, { logger, processors: () => completeSet().slice(1) }).catch(() => undefined);

    expect(await client.keys('bull:*')).toEqual([]);
  });
});
