import type { FileSystemMediaStore, MapStore, TournamentStore } from '@backbone/game-store';
import type { CacheAside, EventPublisher, JobProducer, Logger } from '@backbone/platform';
import type { Response } from 'express';
import type { Redis } from 'ioredis';

import type { ApiConfig } from './config';
import type { IdempotencyStore } from './idempotency';

/** Everything route handlers use, built once by `startApi`. */
export interface ApiContext {
  config: ApiConfig;
  logger: Logger;
  /** The fail-fast producer connection every handler shares. */
  redis: Redis;
  producer: JobProducer;
  publisher: EventPublisher;
  cache: CacheAside;
  tournaments: TournamentStore;
  maps: MapStore;
  media: FileSystemMediaStore;
  idempotency: IdempotencyStore;
}

/** Request id that `requestContext` assigned to this response's request. */
export function requestIdOf(response: Response): string {
  return response.locals.requestId as string;
}

/**
 * Returns the child logger that carries this request's id. Most requests log
 * only the access line, so the child is created on first use.
 */
export function loggerOf(response: Response): Logger {
  response.locals.logger ??= (response.locals.rootLogger as Logger).child({ requestId: requestIdOf(response) });
  return response.locals.logger as Logger;
}
