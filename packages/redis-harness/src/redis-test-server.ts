import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis, type RedisOptions } from 'ioredis';

import { findFreePort } from './free-port';

export interface RedisTestServerOptions {
  /** Turns AOF persistence on, with an fsync after every write, so a killed server loses nothing. */
  appendOnly?: boolean;
  /** Extra `redis-server` arguments, such as `['--maxmemory', '10mb']`. */
  args?: string[];
}

const BINARY = 'redis-server';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_PORT_ATTEMPTS = 5;

export const MISSING_BINARY_MESSAGE =
  'redis-server was not found on PATH. Tests start their own Redis from it. ' +
  'Install it with "apt-get install -y redis-server" (Debian, Ubuntu) or "brew install redis" (macOS), ' +
  'or put the directory that contains it on PATH.';

/** Servers still running in this process, stopped when the process exits whatever happened. */
const running = new Set<RedisTestServer>();
process.once('exit', () => {
  for (const server of running) {
    server.killSync();
  }
});

/**
 * A private `redis-server` for one test suite: its own loopback port and its
 * own temporary directory. Fault tests stop, kill and restart it; `cleanup()`
 * stops it and removes its directory. Tests never touch a Redis that they did
 * not start, so nothing here flushes any other server.
 */
export class RedisTestServer {
  private process: ChildProcess | undefined;
  private options: RedisTestServerOptions;
  private readonly clients = new Set<Redis>();

  private constructor(
    readonly port: number,
    readonly dir: string,
    options: RedisTestServerOptions,
  ) {
    this.options = options;
  }

  /** Starts a server on a free port. Throws with installation advice when the binary is missing. */
  static async start(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
    assertBinaryAvailable();

    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt += 1) {
      const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
      const server = new RedisTestServer(await findFreePort(), dir, options);
      try {
        await server.launch();
        return server;
      } catch (error) {
        server.killSync();
        rmSync(dir, { recursive: true, force: true });
        // Another process may have taken the port between the probe and the
        // start; only that case, where redis-server exited, is worth a retry.
        if (!(error instanceof ServerExitedError)) {
          throw error;
        }
        lastError = error;
      }
    }
    throw lastError;
  }

  /** `redis://127.0.0.1:<port>`, optionally with a database number. */
  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  isRunning(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Opens a client that `cleanup()` closes. */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis(this.url(), { maxRetriesPerRequest: null, ...options });
    this.clients.add(client);
    client.once('end', () => this.clients.delete(client));
    return client;
  }

  /** Stops the server as an operator would (SIGTERM); with AOF on, data survives a restart. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  /** Kills the server with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /**
   * Starts the server again on the same port and directory, so clients that
   * keep reconnecting to the same URL find it. Stops it first if it runs.
   */
  async restart(options: RedisTestServerOptions = this.options): Promise<void> {
    if (this.isRunning()) {
      await this.stop();
    }
    this.options = options;
    await this.launch();
  }

  /** Closes the clients it opened, stops the server and removes its directory. Safe to call twice. */
  async cleanup(): Promise<void> {
    for (const client of this.clients) {
      client.disconnect();
    }
    this.clients.clear();
    if (this.isRunning()) {
      await this.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills the process without waiting; for the exit hook, where nothing asynchronous runs. */
  killSync(): void {
    if (this.isRunning()) {
      this.process?.kill('SIGKILL');
    }
    running.delete(this);
  }

  private async launch(): Promise<void> {
    const appendOnly = this.options.appendOnly ?? false;
    const settings: [string, string][] = [
      ['port', String(this.port)],
      ['bind', '127.0.0.1'],
      ['dir', this.dir],
      ['logfile', 'redis.log'],
      ['save', ''],
      ['daemonize', 'no'],
      ['appendonly', appendOnly ? 'yes' : 'no'],
      ['appendfsync', 'always'],
    ];
    const args = [...settings.flatMap(([name, value]) => [`--${name}`, value]), ...(this.options.args ?? [])];

    const child = spawn(BINARY, args, { cwd: this.dir, stdio: 'ignore' });
    this.process = child;
    running.add(this);

    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) => {
        reject(
          new ServerExitedError(`redis-server exited during start (code ${code}, signal ${signal}): ${this.logTail()}`),
        );
      });
      child.once('error', reject);
    });
    exited.catch(() => undefined);

    await Promise.race([waitForPong(this.port, START_TIMEOUT_MS), exited]);
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (child === undefined || !this.isRunning()) {
      running.delete(this);
      return;
    }

    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    running.delete(this);
  }

  private logTail(): string {
    try {
      return readFileSync(join(this.dir, 'redis.log'), 'utf8').trim().split('\n').slice(-5).join(' | ');
    } catch {
      return '(no log written)';
    }
  }
}

class ServerExitedError extends Error {}

function assertBinaryAvailable(): void {
  const probe = spawnSync(BINARY, ['--version'], { stdio: 'ignore' });
  if (probe.error !== undefined) {
    throw new Error(MISSING_BINARY_MESSAGE);
  }
}

/** Resolves once the server on `port` replies to PING; rejects after `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(
    `redis-server on port ${port} did not reply to PING within ${timeoutMs} ms; see redis.log in the server's directory`,
  );
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      // A server with requirepass replies NOAUTH, which still proves it is up.
      // One that is loading its AOF replies LOADING and is not usable yet.
      const reply = data.toString();
      resolve(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
