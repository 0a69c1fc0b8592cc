/** Min, median and max of repeated measurements of one figure. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) {
    throw new Error('spread() needs at least one value');
  }
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0]!, median: percentile(sorted, 50), max: sorted[sorted.length - 1]! };
}

/** Percentile `p` (0-100) of `sorted`, which must be in ascending order; nearest-rank method. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]!;
}

/** Ratio of two spreads' medians, with the spread of the per-repetition ratios. */
export function ratio(numerators: readonly number[], denominators: readonly number[]): Spread {
  return spread(numerators.map((value, index) => value / denominators[index]!));
}

/**
 * Runs `operation` from `concurrency` loops at once for `durationMs` and
 * returns completed operations per second.
 */
export async function throughput(
  operation: () => Promise<unknown>,
  options: { concurrency: number; durationMs: number },
): Promise<number> {
  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  let completed = 0;

  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await operation();
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));

  return completed / ((performance.now() - startedAt) / 1000);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
