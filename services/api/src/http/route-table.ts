import { UnavailableError } from '@backbone/platform';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';

import { HttpError } from './problem';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** A handler that may return a promise; Express 5 forwards its rejection to the error middleware. */
export type RouteHandler = (request: Request, response: Response, next: NextFunction) => unknown;

/**
 * Registers routes on the app and remembers which methods each path has, so
 * that a known path called with another method gets 405 with `Allow`.
 * Every final handler runs under a deadline: when Redis stalls, the client
 * gets 503 instead of waiting.
 */
export class RouteTable {
  private readonly methodsByPath = new Map<string, Set<HttpMethod>>();

  constructor(
    private readonly app: Express,
    private readonly handlerTimeoutMs: number,
  ) {}

  add(method: HttpMethod, path: string, ...handlers: RouteHandler[]): void {
    const last = handlers.pop();
    if (last === undefined) {
      throw new Error(`Route ${method.toUpperCase()} ${path} has no handler`);
    }
    this.app[method](path, ...(handlers as RequestHandler[]), this.withDeadline(last));

    const methods = this.methodsByPath.get(path) ?? new Set<HttpMethod>();
    methods.add(method);
    this.methodsByPath.set(path, methods);
  }

  /**
   * Handles every other method on the known paths with 405 and `Allow`, or
   * with 204 and `Allow` for OPTIONS. Register it after every route.
   */
  addMethodNotAllowed(): void {
    for (const [path, methods] of this.methodsByPath) {
      const allowed = [...methods].map((method) => method.toUpperCase());
      if (methods.has('get')) {
        allowed.push('HEAD');
      }
      const allow = allowed.join(', ');

      this.app.route(path).all((request, response) => {
        if (request.method === 'OPTIONS') {
          response.set('Allow', allow).status(204).end();
          return;
        }
        throw new HttpError(405, 'method_not_allowed', `${request.method} is not allowed on this resource`, {
          Allow: allow,
        });
      });
    }
  }

  /*
   * NOTE: the deadline only stops the wait. A command already sent to a
   * stalled Redis may still run when Redis resumes, so a client that got 503
   * can find its job added after all. An Idempotency-Key makes its retry safe.
   */
  private withDeadline(handler: RouteHandler): RequestHandler {
    const timeoutMs = this.handlerTimeoutMs;
    return async (request, response, next) => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new UnavailableError(`Redis timed out after ${timeoutMs} ms; retry later`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([Promise.resolve(handler(request, response, next)), deadline]);
      } finally {
        clearTimeout(timer);
      }
    };
  }
}
