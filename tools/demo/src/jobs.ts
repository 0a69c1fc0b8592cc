import { jsonOf } from './api-client';
import { type StepContext, StepFailure, waitFor } from './step';

/** A job as `GET /v1/queues/{queue}/jobs/{id}` returns it. */
export interface JobStatus {
  id: string;
  queue: string;
  name: string;
  state: string;
  progress: number | object;
  attemptsMade: number;
  maxAttempts: number;
  result: unknown;
  failedReason: string | null;
}

/** How often a job's status is read; short, so that progress steps of a fast job still show. */
const JOB_POLL_INTERVAL_MS = 50;

/**
 * Reads the job at `statusUrl` until it completes, printing a line each
 * time its state (and with `showProgress`, its progress) changes, and
 * returns its last status. Throws `StepFailure` when the job fails for good
 * or does not finish within the wait timeout.
 */
export async function followJob(
  context: StepContext,
  statusUrl: string,
  options: { showProgress?: boolean } = {},
): Promise<JobStatus> {
  let lastLine = '';
  let last: JobStatus | undefined;

  return waitFor(
    async () => {
      const response = await context.api.send('GET', statusUrl);
      if (response.status !== 200) {
        throw new StepFailure(`${response.request} returned ${response.status}, expected 200`);
      }
      const job = jsonOf<JobStatus>(response);
      last = job;

      const progress = options.showProgress === true ? formatProgress(job.progress) : '';
      const line = `job ${job.id} in queue ${job.queue}: ${job.state}${progress}`;
      if (line !== lastLine) {
        lastLine = line;
        const retry =
          job.failedReason !== null && job.state !== 'failed' ? ` (attempt failed: ${job.failedReason})` : '';
        context.print(`${line}${retry}`);
      }

      if (job.state === 'failed') {
        throw new StepFailure(
          `job ${job.id} in queue ${job.queue} failed after ${job.attemptsMade} of ${job.maxAttempts} attempts: ${job.failedReason ?? 'no reason given'}`,
        );
      }
      return job.state === 'completed' ? job : undefined;
    },
    {
      timeoutMs: context.config.DEMO_WAIT_TIMEOUT_MS,
      intervalMs: JOB_POLL_INTERVAL_MS,
      timeoutMessage: () =>
        `job at ${statusUrl} did not complete within ${context.config.DEMO_WAIT_TIMEOUT_MS} ms ` +
        `(last state ${last?.state ?? 'unknown'}); is the worker running?`,
    },
  );
}

function formatProgress(progress: number | object): string {
  return typeof progress === 'number' ? `, progress ${progress}%` : '';
}
