import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import type { LogRecord } from './helpers';

/** Compiled entry point of the worker; `npm test` builds it before Jest starts. */
export const WORKER_MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

/** A worker started as `node services/worker/dist/main.js`, with its JSON log lines. */
export interface ChildWorker {
  child: ChildProcessWithoutNullStreams;
  records: LogRecord[];
  stderr: string[];
  /** Resolves with the exit code, or with the signal's name when a signal ended it. */
  exited: Promise<number | string>;
  /** Completes when the service logged that it started. */
  ready: Promise<void>;
}

/**
 * Starts the compiled worker with only `env` (plus PATH) as its environment,
 * in a temporary working directory so no `.env` file leaks in.
 */
export function spawnWorker(env: Record<string, string>): ChildWorker {
  const child = spawn(process.execPath, [WORKER_MAIN], {
    cwd: tmpdir(),
    env: { PATH: process.env.PATH ?? '', OPS_PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'debug', ...env },
  });
  const records: LogRecord[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );

  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as LogRecord;
        records.push(record);
        if (record.message === 'Service started') {
          resolve();
        }
      } catch {
        stderr.push(line);
      }
    });
    void exited.then((code) => reject(new Error(`worker exited with ${code} before it started: ${stderr.join('\n')}`)));
  });
  ready.catch(() => undefined);

  return { child, records, stderr, exited, ready };
}

/** Kills `worker` with SIGKILL if it still runs; for test clean-up. */
export function killWorker(worker: ChildWorker | undefined): void {
  if (worker !== undefined && worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill('SIGKILL');
  }
}
