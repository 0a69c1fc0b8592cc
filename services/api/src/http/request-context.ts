import { randomUUID } from 'node:crypto';

import { counter, histogram, type Logger, latencyBucketsSeconds, type Registry } from '@backbone/platform';
import type { RequestHandler } from 'express';

/** Request ids accepted from clients; anything else is replaced by a generated one. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Route label of requests that matched no route, so unknown paths cannot grow the label set. */
const UNMATCHED_ROUTE = 'unmatched';

const OPS_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Gives every request an id (the client's `X-Request-Id` when it is valid,
 * else a new UUID) and echoes it. Handlers get a logger carrying the id from
 * `loggerOf`. Records count and latency by route pattern and status, and an
 * access-log line, when the response finishes.
 */
export function requestContext(options: {
  logger: Logger;
  registry: Registry;
  /** Route label for requests no route matched, such as the Bull Board mount. */
  routeOf?: (path: string) => string | undefined;
}): RequestHandler {
  const requests = counter(options.registry, {
    name: 'http_requests_total',
    help: 'HTTP responses sent, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
  });
  const latency = histogram(options.registry, {
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its response, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: latencyBucketsSeconds,
  });

  return (request, response, next) => {
    const startedAt = process.hrtime.bigint();
    const clientRequestId = request.get(REQUEST_ID_HEADER);
    const requestId =
      clientRequestId !== undefined && REQUEST_ID_PATTERN.test(clientRequestId) ? clientRequestId : randomUUID();
    response.locals.requestId = requestId;
    response.locals.rootLogger = options.logger;
    response.setHeader(REQUEST_ID_HEADER, requestId);

    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      // Routers mounted with several paths (Bull Board) report an array; those are labelled by their mount.
      const routePath: unknown = request.route?.path;
      const route =
        (typeof routePath === 'string' ? routePath : undefined) ?? options.routeOf?.(request.path) ?? UNMATCHED_ROUTE;
      const labels = { method: request.method, route, status: String(response.statusCode) };
      requests.inc(labels);
      latency.observe(labels, seconds);
      // Probes and scrapes arrive every few seconds; at info level they would drown the request log.
      const level = OPS_ROUTES.has(route) ? 'debug' : 'info';
      options.logger.log(level, 'Request finished', { requestId, ...labels, durationMs: Math.round(seconds * 1000) });
    });
    next();
  };
}
