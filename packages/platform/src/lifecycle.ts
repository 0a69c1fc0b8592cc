import type { Logger } from './logger';

/** Something a service started and must stop: a server, a worker, a connection. */
export interface Component {
  name: string;
  /** Stops the component; `deadline` is the `Date.now()` by which the whole service must be down. */
  stop(deadline: number): Promise<void>;
}

export interface LifecycleOptions {
  logger: Logger;
  /** Time allowed for all components together to stop. */
  shutdownTimeoutMs: number;
}

/**
 * Keeps a service's components in start order and stops them in reverse,
 * within one overall deadline. A component that does not stop in time is
 * logged and left behind so that the ones started before it (usually the
 * Redis connections) still get closed.
 */
export class Lifecycle {
  private readonly components: Component[] = [];
  private stopping: Promise<boolean> | undefined;

  constructor(private readonly options: LifecycleOptions) {}

  /** Registers a started component. Register each right after it started, so a failed start stops only what exists. */
  add(name: string, stop: (deadline: number) => Promise<void> | void): void {
    this.components.push({ name, stop: async (deadline) => stop(deadline) });
  }

  /** Returns whether `stop()` has been called. */
  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Stops every component in reverse order. Resolves `true` when all stopped cleanly before the deadline. */
  stop(reason: string): Promise<boolean> {
    this.stopping ??= this.stopAll(reason);
    return this.stopping;
  }

  private async stopAll(reason: string): Promise<boolean> {
    const { logger, shutdownTimeoutMs } = this.options;
    const startedAt = Date.now();
    const deadline = startedAt + shutdownTimeoutMs;
    let clean = true;

    logger.info('Service stopping', { reason, shutdownTimeoutMs });

    for (const component of [...this.components].reverse()) {
      const remainingMs = deadline - Date.now();
      const outcome = await withTimeout(component.stop(deadline), Math.max(remainingMs, 0));

      if (outcome === 'timeout') {
        clean = false;
        logger.error('Component did not stop before the shutdown deadline', {
          component: component.name,
          shutdownTimeoutMs,
        });
      } else if (outcome instanceof Error) {
        clean = false;
        logger.error('Component failed to stop', { component: component.name, error: outcome });
      } else {
        logger.debug('Component stopped', { component: component.name });
      }
    }

    logger.info('Service stopped', { reason, clean, durationMs: Date.now() - startedAt });
    return clean;
  }
}

async function withTimeout(work: Promise<void>, timeoutMs: number): Promise<'done' | 'timeout' | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });

  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RunServiceOptions {
  name: string;
  logger: Logger;
  shutdownTimeoutMs: number;
  /** Starts the service's components, registering each with `lifecycle.add`. */
  start(lifecycle: Lifecycle): Promise<void>;
  /** Ends the process; replaced in tests. */
  exit?: (code: number) => void;
}

/**
 * Starts a service and stops it on SIGTERM or SIGINT, exiting 0 after a clean
 * stop and 1 otherwise. A second signal during the stop exits at once with 1.
 * A failed start, an uncaught exception or an unhandled rejection stops what
 * was started and exits 1.
 */
export async function runService(options: RunServiceOptions): Promise<Lifecycle> {
  const { logger, name } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const lifecycle = new Lifecycle({ logger, shutdownTimeoutMs: options.shutdownTimeoutMs });

  const stopAndExit = async (reason: string, failed: boolean): Promise<void> => {
    const clean = await lifecycle.stop(reason);
    exit(clean && !failed ? 0 : 1);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (lifecycle.isStopping()) {
      logger.warn('Second signal received during shutdown; exiting now', { signal });
      exit(1);
      return;
    }
    void stopAndExit(signal, false);
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', (error) => {
    logger.error('Uncaught exception; stopping', { error });
    void stopAndExit('uncaughtException', true);
  });
  process.on('unhandledRejection', (error) => {
    logger.error('Unhandled promise rejection; stopping', { error });
    void stopAndExit('unhandledRejection', true);
  });

  const startedAt = Date.now();
  try {
    await options.start(lifecycle);
  } catch (error) {
    logger.error('Service failed to start', { service: name, error });
    await stopAndExit('start failed', true);
    return lifecycle;
  }

  logger.info('Service started', { service: name, durationMs: Date.now() - startedAt, pid: process.pid });
  return lifecycle;
}

/**
 * Runs a service's `start` with the lifecycle the caller passed, such as the
 * one `runService` owns, or with a private one. When the start fails on a
 * private lifecycle, this stops whatever it had started before rethrowing,
 * because no caller has a reference to that lifecycle to do it.
 */
export async function startWithLifecycle<T>(
  callerLifecycle: Lifecycle | undefined,
  options: LifecycleOptions,
  start: (lifecycle: Lifecycle) => Promise<T>,
): Promise<T> {
  const lifecycle = callerLifecycle ?? new Lifecycle(options);
  try {
    return await start(lifecycle);
  } catch (error) {
    if (callerLifecycle === undefined) {
      await lifecycle.stop('start failed');
    }
    throw error;
  }
}
