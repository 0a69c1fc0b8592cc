import { z } from 'zod';

/** Work of a benchmark job: nothing, wait 20 ms as I/O would, or burn 5 ms of CPU. */
export const jobKindSchema = z.enum(['noop', 'io20', 'cpu5']);

export type JobKind = z.output<typeof jobKindSchema>;

export async function runJobKind(kind: JobKind): Promise<void> {
  if (kind === 'io20') {
    await new Promise((resolve) => setTimeout(resolve, 20));
  } else if (kind === 'cpu5') {
    const until = performance.now() + 5;
    while (performance.now() < until) {
      // Busy wait on purpose: the job stands for CPU-bound work.
    }
  }
}
