import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';

import { createLogger, redact, redactText } from '@backbone/platform';

function captureLogger(format: 'json' | 'pretty' = 'json') {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().trim().split('\n')));
  const logger = createLogger({ service: 'test', level: 'debug', format, stream });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('createLogger', () => {
  it('writes JSON with service, level, message and fields', () => {
    const { logger, records } = captureLogger();

    logger.child({ module: 'queue' }).info('Job completed', { jobId: '42', durationMs: 12 });

    expect(records()[0]).toMatchObject({
      service: 'test',
      module: 'queue',
      level: 'info',
      message: 'Job completed',
      jobId: '42',
      durationMs: 12,
    });
    expect(records()[0]?.timestamp).toEqual(expect.any(String));
  });

  it('keeps the message and stack of a logged error', () => {
    const { logger, records } = captureLogger();

    logger.error('Job failed', { error: new Error('disk full') });

    const error = records()[0]?.error as Record<string, string>;
    expect(error.message).toBe('disk full');
    expect(error.stack).toContain('logger.test.ts');
  });

  it('keeps the stack when an error is logged directly', () => {
    const { logger, records } = captureLogger();

    logger.error(new Error('socket closed'));

    expect(records()[0]?.message).toBe('socket closed');
    expect(records()[0]?.stack).toContain('Error: socket closed');
  });

  it('redacts secrets and e-mail addresses in fields and messages', () => {
    const { logger, lines } = captureLogger();

    logger.warn('Mail to player@example.com bounced', {
      to: 'player@example.com',
      password: 'hunter2',
      headers: { authorization: 'Bearer abc.def' },
      redisUrl: 'redis://:s3cret@redis:6379/0',
      note: 'contact admin@example.org',
    });

    const output = lines.join('\n');
    expect(output).not.toContain('player@example.com');
    expect(output).not.toContain('admin@example.org');
    expect(output).not.toContain('hunter2');
    expect(output).not.toContain('abc.def');
    expect(output).not.toContain('s3cret');
    expect(output).toContain('redis://[redacted]@redis:6379/0');
  });

  it('writes readable lines in pretty format', () => {
    const { logger, lines } = captureLogger('pretty');

    logger.child({ module: 'ops' }).info('Ops server listening', { port: 9100 });

    expect(lines[0]).toContain('[test/ops] Ops server listening {"port":9100}');
  });

  it('drops records below the configured level', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger({ service: 'test', level: 'warn', format: 'json', stream });

    logger.info('Not shown');
    logger.warn('Shown');

    expect(lines.join('')).not.toContain('Not shown');
    expect(lines.join('')).toContain('Shown');
  });
});

describe('redact', () => {
  it('masks addresses inside text', () => {
    expect(redactText('send to a.b+c@example.co.uk now')).toBe('send to [email] now');
  });

  it('walks arrays and nested objects', () => {
    expect(redact({ list: [{ apiKey: 'k' }, 'x@example.com'] })).toEqual({
      list: [{ apiKey: '[redacted]' }, '[email]'],
    });
  });
});

describe('createLogger level filter', () => {
  it('does not format records below the level', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger({ service: 'test', level: 'info', format: 'json', stream });
    let formatted = 0;
    const probe = {
      toJSON: () => {
        formatted += 1;
        return 'probe';
      },
    };

    logger.debug('Dropped', { probe });
    logger.info('Kept', { probe });

    expect(formatted).toBe(1);
    expect(lines.join('')).toContain('Kept');
    expect(lines.join('')).not.toContain('Dropped');
  });

  it('follows a level changed at run time', () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger({ service: 'test', level: 'info', format: 'json', stream });

    logger.level = 'debug';
    logger.debug('Now shown');

    expect(lines.join('')).toContain('Now shown');
  });
});

describe('batched lines', () => {
  it('writes the lines of one turn in a single write, in order', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ service: 'test', level: 'info', format: 'json', stream, batchLines: true });

    logger.info('first', { jobId: '1' });
    logger.info('second', { jobId: '2' });
    logger.child({ module: 'job' }).info('third', { jobId: '3' });
    expect(writes).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));

    expect(writes).toHaveLength(1);
    const messages = writes[0]!
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { message: string }).message);
    expect(messages).toEqual(['first', 'second', 'third']);
  });

  it('writes held lines when the process exits in the same turn', () => {
    // The compiled package, as a service runs it; `npm test` builds it first.
    const platform = join(__dirname, '..', 'dist', 'index.js');
    const script = [
      `const { createServiceLogger } = require(${JSON.stringify(platform)});`,
      "const logger = createServiceLogger('test', { LOG_LEVEL: 'info', LOG_FORMAT: 'json', NODE_ENV: 'production' });",
      "for (let i = 0; i < 3; i += 1) logger.info('line', { index: i });",
      'process.exit(3);',
    ].join('\n');

    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });

    expect(result.status).toBe(3);
    const indexes = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { index: number }).index);
    expect(indexes).toEqual([0, 1, 2]);
  });
});
