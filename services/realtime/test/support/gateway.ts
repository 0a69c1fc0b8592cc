import { PassThrough } from 'node:stream';

import { createLogger, createMetricsRegistry, type Logger, loadConfig, type Registry } from '@backbone/platform';
import { WebSocket } from 'ws';

import { realtimeConfigShape } from '../../src/config';
import { type RealtimeConfig, type RealtimeHandle, startRealtime } from '../../src/realtime';

export const TOKEN = 'test-realtime-token';

/** A gateway started in-process on a free loopback port, with its log lines and metrics. */
export interface TestGateway {
  handle: RealtimeHandle;
  config: RealtimeConfig;
  url: string;
  registry: Registry;
  logLines: string[];
}

export function testConfig(redisUrl: string, env: Record<string, string> = {}): RealtimeConfig {
  return loadConfig(realtimeConfigShape, {
    env: {
      NODE_ENV: 'test',
      REDIS_URL: redisUrl,
      REALTIME_PORT: '0',
      REALTIME_TOKENS: `${TOKEN},second-test-token`,
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    },
  });
}

export function captureLogger(): { logger: Logger; lines: string[] } {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  return { logger: createLogger({ service: 'realtime', level: 'debug', format: 'json', stream }), lines };
}

export async function startTestGateway(redisUrl: string, env: Record<string, string> = {}): Promise<TestGateway> {
  const config = testConfig(redisUrl, env);
  const { logger, lines } = captureLogger();
  const registry = createMetricsRegistry('realtime', { defaultMetrics: false });
  const handle = await startRealtime(config, { logger, metrics: registry, host: '127.0.0.1' });
  return { handle, config, url: `ws://127.0.0.1:${handle.port}/v1/realtime`, registry, logLines: lines };
}

/** Value of one series in a registry, such as `realtime_connections` or `x_total{reason="y"}`; 0 when absent. */
export async function metricValue(registry: Registry, series: string): Promise<number> {
  const text = await registry.metrics();
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    if (name === undefined || value === undefined) {
      continue;
    }
    const bare = name.replace(/,?service="realtime"/, '').replace('{}', '');
    if (bare === series) {
      return Number(value);
    }
  }
  return 0;
}

/** Server message as the tests read it. */
export interface ServerMessage {
  type: string;
  topic?: string;
  channel?: string;
  id?: string;
  code?: string;
  message?: string;
  replayed?: number;
  lastEventId?: string;
  payload?: Record<string, unknown>;
}

/**
 * A real `ws` client that keeps every message it received, so tests can wait
 * for the next one of a kind.
 */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters: (() => void)[] = [];
  private readIndex = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const wake of this.waiters.splice(0)) {
        wake();
      }
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('error', () => undefined);
  }

  /** Connects with the token in the `Authorization` header (`header`), the query (`query`) or none. */
  static async connect(url: string, options: { token?: string; via?: 'header' | 'query' } = {}): Promise<TestClient> {
    const token = options.token ?? TOKEN;
    const via = options.via ?? 'header';
    const target = via === 'query' && token !== '' ? `${url}?token=${encodeURIComponent(token)}` : url;
    const headers = via === 'header' && token !== '' ? { authorization: `Bearer ${token}` } : undefined;
    const socket = new WebSocket(target, headers === undefined ? {} : { headers });
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Subscribes and resolves with the `subscribed` acknowledgement (or the error that came instead). */
  async subscribe(topic: string, lastEventIds?: Record<string, string>): Promise<ServerMessage> {
    this.send({ type: 'subscribe', topic, ...(lastEventIds === undefined ? {} : { lastEventIds }) });
    return this.next(
      (message) => message.topic === topic && (message.type === 'subscribed' || message.type === 'error'),
    );
  }

  /** Resolves with the first message after the last one taken that matches, waiting up to `timeoutMs`. */
  async next(match: (message: ServerMessage) => boolean = () => true, timeoutMs = 10_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.readIndex < this.messages.length) {
        const message = this.messages[this.readIndex]!;
        this.readIndex += 1;
        if (match(message)) {
          return message;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`no matching message within ${timeoutMs} ms; received ${JSON.stringify(this.messages)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Event messages received so far. */
  events(): ServerMessage[] {
    return this.messages.filter((message) => message.type === 'event');
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Resolves once `condition` returns true, polling every 20 ms. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
