import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';

export const REDIS_MISSING_MESSAGE = [
  'redis-server was not found on PATH, and REDIS_URL is not set.',
  'Either install Redis: "apt-get install -y redis-server" (Debian, Ubuntu) or "brew install redis" (macOS),',
  'or point the stack at a running one: REDIS_URL=redis://host:6379 npm start',
].join('\n');

/** A redis-server started for the local stack, with AOF on so jobs and data survive a restart of the stack. */
export class LocalRedis {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(port: number, dir: string): Promise<LocalRedis> {
    if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error !== undefined) {
      throw new Error(REDIS_MISSING_MESSAGE);
    }
    if (await answersPing(port)) {
      throw new Error(
        `Port ${port} already serves something. Stop it, set LOCAL_REDIS_PORT to a free port, or set REDIS_URL to use that server.`,
      );
    }

    mkdirSync(dir, { recursive: true });
    const settings: [string, string][] = [
      ['port', String(port)],
      ['bind', '127.0.0.1'],
      ['dir', dir],
      ['appendonly', 'yes'],
      ['save', ''],
      ['logfile', 'redis.log'],
    ];
    const child = spawn(
      'redis-server',
      settings.flatMap(([name, value]) => [`--${name}`, value]),
      { cwd: dir, stdio: 'ignore' },
    );

    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not start on port ${port}; see ${dir}/redis.log`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return new LocalRedis(child, `redis://127.0.0.1:${port}/0`);
  }

  /** Stops the server with SIGTERM, which makes it flush the AOF, and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(300);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
