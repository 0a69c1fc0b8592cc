import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Registry } from 'prom-client';

import type { Logger } from './logger';

/** A named readiness check; it resolves `true` when the dependency it checks is usable. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

export interface OpsEndpointsOptions {
  registry: Registry;
  readiness: Record<string, ReadinessCheck>;
}

export interface OpsResponse {
  status: number;
  contentType: string;
  body: string;
}

/** Maximum time a readiness check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 1_500;

/**
 * Bodies of `/healthz`, `/readyz` and `/metrics`, shared by the stand-alone
 * ops server and the api, which mounts them on its own Express app.
 */
export class OpsEndpoints {
  constructor(private readonly options: OpsEndpointsOptions) {}

  /** Returns the liveness response: the process runs and its event loop responds. */
  health(): OpsResponse {
    return json(200, { status: 'ok' });
  }

  /** Readiness: every check passed. 503 lists which did not. */
  async readiness(): Promise<OpsResponse> {
    const entries = await Promise.all(
      Object.entries(this.options.readiness).map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ready = entries.every(([, ok]) => ok);
    return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks });
  }

  async metrics(): Promise<OpsResponse> {
    return { status: 200, contentType: this.options.registry.contentType, body: await this.options.registry.metrics() };
  }

  /** Response for `path`, or `undefined` when it is not an ops path. */
  async handle(path: string): Promise<OpsResponse | undefined> {
    switch (path) {
      case '/healthz':
        return this.health();
      case '/readyz':
        return this.readiness();
      case '/metrics':
        return this.metrics();
      default:
        return undefined;
    }
  }
}

async function runCheck(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve(check()), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function json(status: number, body: unknown): OpsResponse {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

export interface OpsServerOptions extends OpsEndpointsOptions {
  port: number;
  host?: string;
  logger: Logger;
}

/**
 * Minimal HTTP server for services that have no server of their own: the
 * worker, the scheduler and the cache-invalidator.
 */
export class OpsServer {
  private readonly endpoints: OpsEndpoints;
  private readonly server: Server;

  constructor(private readonly options: OpsServerOptions) {
    this.endpoints = new OpsEndpoints(options);
    this.server = createServer((request, response) => {
      void this.respond(request, response);
    });
    this.server.keepAliveTimeout = 5_000;
  }

  /** Starts listening and resolves the bound port, which is a free one when `port` is 0. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const port = (this.server.address() as AddressInfo).port;
    this.options.logger.info('Ops server listening', { port });
    return port;
  }

  async stop(): Promise<void> {
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
        return;
      }
      const result = await this.endpoints.handle(path);
      if (result === undefined) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
        return;
      }
      response.writeHead(result.status, { 'content-type': result.contentType }).end(result.body);
    } catch (error) {
      this.options.logger.error('Ops request failed', { path, error });
      response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error\n');
    }
  }
}
