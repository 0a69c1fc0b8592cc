import type { z } from 'zod';

/**
 * Options every job of a queue gets unless the producer overrides them. The
 * field names match BullMQ's `DefaultJobOptions`, so a value of this type can
 * be handed to a BullMQ `Queue` as it is.
 */
export interface QueueJobDefaults {
  /** Total tries, the first run included. */
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
  /** Completed jobs kept: at most `count` of them and none older than `age` seconds. */
  removeOnComplete: { count: number; age: number };
  /** Failed jobs kept: at most `count` of them and none older than `age` seconds. */
  removeOnFail: { count: number; age: number };
}

/**
 * Lock and stall settings of a queue's workers. BullMQ throttles the stalled
 * check per queue across all workers, so every worker of a queue must use
 * the same values: they live in the contract, not in a worker's config.
 */
export interface QueueWorkerSettings {
  /** How long a worker's lock on an active job lasts before it must renew it. */
  lockDurationMs: number;
  /** How often workers look for active jobs whose lock expired. */
  stalledIntervalMs: number;
  /** How many times a job may stall before it is failed instead of retried. */
  maxStalledCount: number;
  /** Maximum time one job of this queue is expected to run, used to size shutdown timeouts. */
  maxJobDurationMs: number;
}

/** Contract of one BullMQ queue: its name, its jobs with their payload schemas, and defaults. */
export interface QueueContract<
  Name extends string = string,
  Jobs extends Record<string, z.ZodType> = Record<string, z.ZodType>,
> {
  name: Name;
  description: string;
  jobs: Jobs;
  defaultJobOptions: QueueJobDefaults;
  worker: QueueWorkerSettings;
}

/** Declares a queue contract, keeping its literal name and job names in the type. */
export function defineQueue<const Name extends string, const Jobs extends Record<string, z.ZodType>>(
  contract: QueueContract<Name, Jobs>,
): QueueContract<Name, Jobs> {
  return contract;
}
