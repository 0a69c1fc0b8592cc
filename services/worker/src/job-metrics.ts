import { counter, histogram, type Registry } from '@backbone/platform';

/** Buckets in seconds for job durations, from 5 ms to two minutes. */
const JOB_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** Prometheus series of the jobs this process runs, labelled by queue and job name. */
export function createJobMetrics(registry: Registry) {
  return {
    processed: counter(registry, {
      name: 'worker_jobs_processed_total',
      help: 'Jobs this worker completed.',
      labelNames: ['queue', 'name'] as const,
    }),
    failed: counter(registry, {
      name: 'worker_jobs_failed_total',
      help: 'Job attempts that failed; final="true" when no retry follows.',
      labelNames: ['queue', 'name', 'final'] as const,
    }),
    duration: histogram(registry, {
      name: 'worker_job_duration_seconds',
      help: 'Time one job attempt took, by outcome (completed or failed).',
      labelNames: ['queue', 'name', 'outcome'] as const,
      buckets: JOB_DURATION_BUCKETS_SECONDS,
    }),
    returned: counter(registry, {
      name: 'worker_jobs_returned_total',
      help: 'Active jobs given back to their queue at the shutdown deadline.',
      labelNames: ['queue'] as const,
    }),
  };
}

export type JobMetrics = ReturnType<typeof createJobMetrics>;
