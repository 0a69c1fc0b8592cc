import type { ApiClient } from './api-client';
import type { DemoConfig } from './config';

/** A step's result differed from the expected one; the message states what was expected and what came back. */
export class StepFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** Input of every step: the settings, the api client, a printer and the ids earlier steps created. */
export interface StepContext {
  config: DemoConfig;
  api: ApiClient;
  /** Prints one line of this step's output at once. */
  print(line: string): void;
  /** Suffix that makes the names of this run's tournament, map and e-mail unique. */
  runId: string;
  /** Set by the tournament step, read by the map step. */
  tournamentId?: string;
  /** Set by the map image step, read by the cache step. */
  mapId?: string;
}

export interface Step {
  /** Short imperative phrase naming what the step does. */
  title: string;
  run(context: StepContext): Promise<void>;
}

/** Throws `StepFailure` with `message` unless `condition` holds. */
export function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) {
    throw new StepFailure(message);
  }
}

/**
 * Calls `probe` every `intervalMs` until it returns a value other than
 * `undefined`, and returns that value. Throws `StepFailure` with
 * `timeoutMessage` when `timeoutMs` passes first.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; timeoutMessage: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() >= deadline) {
      throw new StepFailure(options.timeoutMessage());
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
