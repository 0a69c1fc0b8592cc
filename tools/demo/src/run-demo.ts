import { randomUUID } from 'node:crypto';

import { ApiClient } from './api-client';
import type { DemoConfig } from './config';
import type { Step, StepContext } from './step';
import { badRequestStep } from './steps/bad-request';
import { cacheStep } from './steps/cache';
import { emailStep } from './steps/email';
import { mapImageStep } from './steps/map-image';
import { tournamentStep } from './steps/tournament';

/** The walk-through, in order; later steps use what earlier ones created. */
export const demoSteps: readonly Step[] = [tournamentStep, mapImageStep, emailStep, cacheStep, badRequestStep];

export interface DemoOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Runs every step in order and prints each line as it happens. Stops at the
 * first step whose result is not the expected one and returns 1 after
 * naming it; returns 0 when every step passed.
 */
export async function runDemo(config: DemoConfig, output: DemoOutput, steps = demoSteps): Promise<number> {
  const startedAt = Date.now();
  output.out(`Demo against the api at ${config.API_URL}, mail catcher at ${config.MAIL_URL}`);

  const context: StepContext = {
    config,
    api: new ApiClient(config.API_URL, config.API_KEY),
    print: () => undefined,
    runId: randomUUID().slice(0, 8),
  };

  for (const [index, step] of steps.entries()) {
    const label = `[${index + 1}/${steps.length}]`;
    const stepStartedAt = Date.now();
    context.print = (line) => output.out(`${label}   ${line}`);
    output.out(`${label} ${step.title}`);

    try {
      await step.run(context);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      output.err(`${label} FAILED: ${message}`);
      output.err(`Demo failed at step ${index + 1}/${steps.length} (${step.title}).`);
      return 1;
    }
    output.out(`${label} passed in ${Date.now() - stepStartedAt} ms`);
  }

  output.out(`All ${steps.length} steps passed in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
  return 0;
}
