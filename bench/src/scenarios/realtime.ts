import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

import { ChannelNames } from '@backbone/contracts';
import { createRedisConnection, EventPublisher } from '@backbone/platform';
import { WebSocket } from 'ws';

/*
 * Realtime gateway benchmark on loopback. The gateway runs as its own
 * process (the built `services/realtime/dist/main.js`). Clients and the
 * publisher run in this process. On a small machine they compete with the
 * gateway for CPU, so the latency figures are upper bounds.
 */

export interface RealtimeBenchmarkOptions {
  /** Idle connections opened in the first phase. */
  idleConnections?: number;
  /** Of those, how many subscribe to `map:completed` for the latency phase. */
  subscribers?: number;
  /** Events published one after another in the latency phase. */
  events?: number;
  /** Pause between two publishes. */
  publishIntervalMs?: number;
  /** Connections opened at once while ramping up. */
  connectBatch?: number;
  /** Compiled gateway entry point; the repository's by default. */
  gatewayEntry?: string;
  /** Progress lines go here; silent by default. */
  log?: (line: string) => void;
}

export interface RealtimeBenchmarkResult {
  idle: {
    connections: number;
    openSeconds: number;
    gatewayRssBeforeMiB: number;
    gatewayRssAfterMiB: number;
    /** Resident memory the gateway grew by per connection, in KiB. */
    rssPerConnectionKiB: number;
  };
  latency: {
    subscribers: number;
    events: number;
    deliveries: number;
    /** Deliveries that never arrived within the wait after the last publish. */
    missing: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Gateway's mean from publish (the Redis clock in the event id) to having written the event to every subscriber. */
    gatewayFanOutMeanMs: number;
  };
}

const TOKEN = 'benchmark-realtime-token';
const MAP_ID_MARKER = '"mapId":"';
const timestamp = '2026-12-04T18:00:00.000Z';

/** Runs both phases against the Redis at `redisUrl` and returns the figures. */
export async function runRealtimeBenchmark(
  redisUrl: string,
  options: RealtimeBenchmarkOptions = {},
): Promise<RealtimeBenchmarkResult> {
  const idleConnections = options.idleConnections ?? 5_000;
  const subscribers = Math.min(options.subscribers ?? 2_000, idleConnections);
  const events = options.events ?? 200;
  const publishIntervalMs = options.publishIntervalMs ?? 50;
  const connectBatch = options.connectBatch ?? 250;
  const log = options.log ?? (() => undefined);
  const entry = options.gatewayEntry ?? join(__dirname, '..', '..', '..', 'services', 'realtime', 'dist', 'main.js');

  const gateway = await startGateway(entry, redisUrl, idleConnections);
  const sockets: WebSocket[] = [];
  const publisherConnection = createRedisConnection(redisUrl, 'worker');

  try {
    const url = `ws://127.0.0.1:${gateway.port}/v1/realtime`;
    const rssBefore = await gatewayRss(gateway.port);

    const openedAt = performance.now();
    for (let opened = 0; opened < idleConnections; opened += connectBatch) {
      const count = Math.min(connectBatch, idleConnections - opened);
      sockets.push(...(await Promise.all(Array.from({ length: count }, () => connect(url)))));
      log(`opened ${sockets.length} connections`);
    }
    const openSeconds = (performance.now() - openedAt) / 1_000;
    // Let the gateway settle before reading its memory.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const rssAfter = await gatewayRss(gateway.port);

    const publishedAt = new Map<string, number>();
    const samples: number[] = [];
    const listeners = sockets.slice(0, subscribers);
    await Promise.all(listeners.map((socket) => subscribe(socket, ChannelNames.mapCompleted)));
    for (const socket of listeners) {
      socket.on('message', (data) => {
        const receivedAt = performance.now();
        // A string search instead of JSON.parse keeps this process from becoming the bottleneck.
        const text = data.toString();
        const start = text.indexOf(MAP_ID_MARKER);
        const mapId =
          start < 0
            ? undefined
            : text.slice(start + MAP_ID_MARKER.length, text.indexOf('"', start + MAP_ID_MARKER.length));
        const sentAt = mapId === undefined ? undefined : publishedAt.get(mapId);
        if (sentAt !== undefined) {
          samples.push(receivedAt - sentAt);
        }
      });
    }
    log(`${listeners.length} clients subscribed; publishing ${events} events`);

    const publisher = new EventPublisher(publisherConnection);
    for (let index = 0; index < events; index += 1) {
      const mapId = `bench-${index}`;
      publishedAt.set(mapId, performance.now());
      await publisher.publish(ChannelNames.mapCompleted, { mapId, tournamentId: null, result: null, timestamp });
      await new Promise((resolve) => setTimeout(resolve, publishIntervalMs));
    }

    const expected = events * listeners.length;
    const deadline = Date.now() + 30_000;
    while (samples.length < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    samples.sort((a, b) => a - b);
    const fanOut = await gatewayFanOut(gateway.port);

    return {
      idle: {
        connections: sockets.length,
        openSeconds: round(openSeconds),
        gatewayRssBeforeMiB: round(rssBefore / 1_048_576),
        gatewayRssAfterMiB: round(rssAfter / 1_048_576),
        rssPerConnectionKiB: round((rssAfter - rssBefore) / 1_024 / Math.max(sockets.length, 1)),
      },
      latency: {
        subscribers: listeners.length,
        events,
        deliveries: samples.length,
        missing: expected - samples.length,
        p50Ms: round(percentile(samples, 0.5)),
        p99Ms: round(percentile(samples, 0.99)),
        maxMs: round(samples.at(-1) ?? Number.NaN),
        gatewayFanOutMeanMs: round((fanOut.sum / fanOut.count) * 1_000),
      },
    };
  } finally {
    for (const socket of sockets) {
      socket.terminate();
    }
    publisherConnection.disconnect();
    await gateway.stop();
  }
}

interface GatewayProcess {
  port: number;
  stop(): Promise<void>;
}

async function startGateway(entry: string, redisUrl: string, maxConnections: number): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      REDIS_URL: redisUrl,
      REALTIME_PORT: '0',
      REALTIME_TOKENS: TOKEN,
      REALTIME_MAX_CONNECTIONS: String(maxConnections + 100),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway did not start:\n${output}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"message":"Realtime gateway listening","port":(\d+)/.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        output = '';
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}:\n${output}`)));
  });
  child.stdout?.resume();

  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function subscribe(socket: WebSocket, topic: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(data.toString()) as { type: string; topic?: string; code?: string };
      if (message.topic !== topic) {
        return;
      }
      socket.off('message', onMessage);
      if (message.type === 'subscribed') {
        resolve();
      } else {
        reject(new Error(`subscribe failed with ${message.code}`));
      }
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ type: 'subscribe', topic }));
  });
}

async function gatewayFanOut(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string): number => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
    return match === null ? Number.NaN : Number(match[1]);
  };
  return {
    sum: value('realtime_delivery_latency_seconds_sum'),
    count: value('realtime_delivery_latency_seconds_count'),
  };
}

async function gatewayRss(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = /^process_resident_memory_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?)/m.exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
