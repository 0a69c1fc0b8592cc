import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A service or helper server run as a child process for a benchmark. */
export interface BenchProcess {
  child: ChildProcess;
  /** Resident set size in bytes, read from /proc. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * Starts `node script` with `env` and resolves once it is ready. With
 * `ready` set to `'ipc'` that is when the child sends `{ ready: true }`,
 * otherwise when `ready()` resolves true, polled every 50 ms. Rejects after
 * `timeoutMs`. Standard output goes to /dev/null, because services log a
 * line per job and reading those lines back would take CPU from them.
 */
export async function startNode(
  script: string,
  env: Record<string, string>,
  ready: 'ipc' | (() => Promise<boolean>),
  timeoutMs = 30_000,
): Promise<BenchProcess> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));

  let announced = false;
  child.on('message', (message: { ready?: boolean }) => {
    announced ||= message.ready === true;
  });
  const isReady = ready === 'ipc' ? async () => announced : ready;

  const deadline = Date.now() + timeoutMs;
  while (!(await isReady().catch(() => false))) {
    if (child.exitCode !== null) {
      throw new Error(`${script} exited with ${child.exitCode} before it was ready: ${stderr.join('')}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} was not ready within ${timeoutMs} ms: ${stderr.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    child,
    rssBytes: () => readRss(child.pid!),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Readiness probe that passes once `url` responds 200. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => (await fetch(url)).status === 200;
}

/** Resident set size of process `pid` in bytes; Linux only. */
export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kib * 1024;
}
