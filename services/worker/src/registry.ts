import { type JobName, type QueueName, queueNames, queues } from '@backbone/contracts';
import type { Job } from 'bullmq';

/**
 * Runs one job. It returns to complete the job and throws to fail it. Input
 * that can never succeed throws BullMQ's `UnrecoverableError`, so no retry is
 * spent on it. `signal` aborts when the worker gives the job back at the
 * shutdown deadline.
 */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<unknown>;

/** The processor of one job declared in the contracts. */
export interface Processor {
  queue: QueueName;
  name: string;
  handle: JobHandler;
}

/** Declares the processor of job `name` of `queue`; both names are checked against the contracts at compile time. */
export function defineProcessor<Q extends QueueName, J extends JobName<Q>>(
  queue: Q,
  name: J,
  handle: JobHandler,
): Processor {
  return { queue, name, handle };
}

/** Raised at start-up when the processors do not cover the contracts' jobs one to one. */
export class ProcessorRegistryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessorRegistryError';
  }
}

/** Handlers by queue, then by job name. */
export type ProcessorRegistry = ReadonlyMap<QueueName, ReadonlyMap<string, JobHandler>>;

/**
 * Maps every job declared in the contracts to its processor. Throws
 * `ProcessorRegistryError` naming the job when one has no processor or more
 * than one, or when a processor is given for an undeclared job. A bad
 * deployment thus fails at start-up instead of on its first job.
 */
export function buildProcessorRegistry(processors: readonly Processor[]): ProcessorRegistry {
  const problems: string[] = [];

  for (const processor of processors) {
    const declared =
      (queueNames as string[]).includes(processor.queue) && processor.name in queues[processor.queue].jobs;
    if (!declared) {
      problems.push(
        `job "${processor.name}" of queue "${processor.queue}" has a processor but is not declared in the contracts`,
      );
    }
  }

  const registry = new Map<QueueName, Map<string, JobHandler>>();
  for (const queue of queueNames) {
    const handlers = new Map<string, JobHandler>();
    for (const name of Object.keys(queues[queue].jobs)) {
      const matches = processors.filter((processor) => processor.queue === queue && processor.name === name);
      if (matches.length === 0) {
        problems.push(`job "${name}" of queue "${queue}" has no processor`);
      } else if (matches.length > 1) {
        problems.push(`job "${name}" of queue "${queue}" has ${matches.length} processors; expected exactly one`);
      } else {
        handlers.set(name, matches[0]!.handle);
      }
    }
    registry.set(queue, handlers);
  }

  if (problems.length > 0) {
    throw new ProcessorRegistryError(`Invalid processor registry: ${problems.join('; ')}`);
  }
  return registry;
}
