import TransportStream from 'winston-transport';

/** Key under which winston's formats leave the finished line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

/** Held bytes at which the lines are written without waiting for the next tick. */
const MAX_PENDING_BYTES = 64 * 1024;

/** Transports holding lines, written out when the process exits. */
const pending = new Set<LineTransport>();
let exitHookInstalled = false;

function flushPending(): void {
  for (const transport of pending) {
    transport.flush();
  }
}

/**
 * Writes each record's finished line to a stream, batching the lines of one
 * callback and its promise continuations into one write on the next tick.
 * A busy worker logs a line per job, several jobs often finish on one Redis
 * reply, and every write to standard output is a system call. Lines still
 * held at exit are written by an `exit` handler. Node writes standard output
 * synchronously to files, and to pipes on Linux, so those lines are not lost.
 * NOTE: a SIGKILL runs no handler, so it loses the lines of the current tick.
 */
export class LineTransport extends TransportStream {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    super();
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', flushPending);
    }
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    this.lines.push(line);
    this.bytes += line.length;
    if (this.bytes >= MAX_PENDING_BYTES) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      pending.add(this);
      process.nextTick(() => this.flush());
    }
    callback();
  }

  /** Writes every held line now. */
  flush(): void {
    this.scheduled = false;
    pending.delete(this);
    if (this.lines.length === 0) {
      return;
    }
    const text = this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    this.stream.write(text);
  }

  override close(): void {
    this.flush();
  }
}
