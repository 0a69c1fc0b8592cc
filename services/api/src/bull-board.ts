import { queueNames } from '@backbone/contracts';
import type { JobProducer, Logger } from '@backbone/platform';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Express, RequestHandler } from 'express';

import type { ApiConfig } from './config';
import { requireBasicAuth } from './http/auth';
import { HttpError } from './http/problem';

/**
 * Mounts Bull Board at `BULL_BOARD_BASE_PATH` behind HTTP basic auth. With
 * no credentials configured the board is not mounted and a warning is
 * logged. Returns whether it was mounted.
 *
 * The board reads the queues through the producer's fail-fast connection,
 * so its API fails at once while Redis is away. A guard returns 503 before
 * that, and a deadline covers any request that stalls anyway.
 */
export function mountBullBoard(
  app: Express,
  options: { config: ApiConfig; producer: JobProducer; logger: Logger; isRedisReady: () => boolean },
): boolean {
  const { config, producer, logger } = options;
  if (config.BULL_BOARD_USERNAME === undefined || config.BULL_BOARD_PASSWORD === undefined) {
    logger.warn('Bull Board is not mounted because BULL_BOARD_USERNAME and BULL_BOARD_PASSWORD are not set');
    return false;
  }

  const mountPath = config.BULL_BOARD_BASE_PATH;
  const serverAdapter = new ExpressAdapter();
  // Bull Board writes this path into its page for asset and API URLs, so it must be the path the browser requests.
  serverAdapter.setBasePath(config.BULL_BOARD_PUBLIC_PATH ?? mountPath);

  createBullBoard({
    queues: queueNames.map((name) => new BullMQAdapter(producer.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Game backbone queues', locale: { lng: config.BULL_BOARD_LOCALE } } },
  });

  app.use(
    mountPath,
    requireBasicAuth(config.BULL_BOARD_USERNAME, config.BULL_BOARD_PASSWORD, 'Bull Board'),
    failFastWhileRedisIsDown(options.isRedisReady),
    boardDeadline(config.API_HANDLER_TIMEOUT_MS),
    serverAdapter.getRouter() as RequestHandler,
  );
  logger.info('Bull Board mounted', { path: mountPath, locale: config.BULL_BOARD_LOCALE });
  return true;
}

/** Returns 503 for the board's JSON API while the connection is down. The page and its assets still load. */
function failFastWhileRedisIsDown(isRedisReady: () => boolean): RequestHandler {
  return (request, _response, next) => {
    if (request.path.startsWith('/api/') && !isRedisReady()) {
      throw new HttpError(503, 'service_unavailable', 'Redis is unreachable; retry later', { 'Retry-After': '5' });
    }
    next();
  };
}

/** Responds 503 when a board request has not finished within `timeoutMs`, as the api's own handlers do. */
function boardDeadline(timeoutMs: number): RequestHandler {
  return (_request, response, next) => {
    const timer = setTimeout(() => {
      if (!response.headersSent) {
        next(
          new HttpError(503, 'service_unavailable', 'Redis timed out; retry later', {
            'Retry-After': '5',
          }),
        );
      }
    }, timeoutMs);
    response.once('close', () => clearTimeout(timer));
    response.once('finish', () => clearTimeout(timer));
    next();
  };
}
