import { STATUS_CODES } from 'node:http';

import { AppError, UnavailableError, ValidationError, type ValidationIssue } from '@backbone/platform';
import type { ErrorRequestHandler, Request, Response } from 'express';

import { loggerOf } from '../context';
import { isRedisUnavailable } from './redis-unavailable';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One invalid field: a JSON pointer into the body, or the name of a query parameter. */
export type ProblemFieldError = { pointer: string; detail: string } | { path: string; detail: string };

/** RFC 9457 problem details with the stable `code` every client can switch on. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: ProblemFieldError[];
}

/** Error for HTTP-level failures that have no domain meaning: 401, 403, 405, 413, 415. */
export class HttpError extends AppError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(code, status, message);
  }
}

/** Marks issues that name query parameters rather than body fields. */
export const QUERY_ISSUE_ROOT = '?query';

/** Stable URI of a problem type; a URN, because these types have no web page. */
export function problemType(code: string): string {
  return `urn:game-backbone:problem:${code}`;
}

/** Sends a problem response; the one place that writes error bodies. */
export function sendProblem(
  response: Response,
  request: Request,
  error: { status: number; code: string; message: string; issues?: ValidationIssue[] },
  headers: Record<string, string> = {},
): void {
  const body: ProblemBody = {
    type: problemType(error.code),
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: request.originalUrl.split('?')[0] ?? '/',
  };
  if (error.issues !== undefined && error.issues.length > 0) {
    body.errors = error.issues.map(toFieldError);
  }

  response.status(error.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

function toFieldError(issue: ValidationIssue): ProblemFieldError {
  if (issue.path[0] === QUERY_ISSUE_ROOT) {
    return { path: issue.path.slice(1).join('.'), detail: issue.message };
  }
  const pointer = issue.path.map((segment) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  return { pointer: `#/${pointer}`, detail: issue.message };
}

/** Errors that body-parser attaches a `type` to, mapped to stable codes. */
const bodyParserErrors: Record<string, { status: number; code: string; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'The request body exceeds the size limit' },
  'encoding.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'The request body uses an unsupported content encoding',
  },
  'charset.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'The request body uses an unsupported charset',
  },
  'request.aborted': { status: 400, code: 'request_aborted', message: 'The client aborted the request body' },
};

/**
 * Creates the api's only error middleware. Known errors keep their status and
 * code, and Redis connection failures become 503 with `Retry-After`. Anything else is
 * logged and sent as a 500 without internals.
 */
export function problemMiddleware(options: { isRedisReady: () => boolean }): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const logger = loggerOf(response);

    if (error instanceof ValidationError) {
      sendProblem(response, request, error);
      return;
    }
    if (error instanceof UnavailableError) {
      logger.warn('Request failed because Redis is unavailable', { error: error.message });
      sendProblem(response, request, error, { 'Retry-After': String(error.retryAfterSeconds) });
      return;
    }
    if (error instanceof HttpError) {
      sendProblem(response, request, error, error.headers);
      return;
    }
    if (error instanceof AppError) {
      sendProblem(response, request, error);
      return;
    }

    const parserError = bodyParserErrors[(error as { type?: string }).type ?? ''];
    if (parserError !== undefined) {
      sendProblem(response, request, parserError);
      return;
    }

    if (isRedisUnavailable(error, options.isRedisReady())) {
      const unavailable = new UnavailableError('Redis is unreachable; retry later');
      logger.warn('Request failed because Redis is unavailable', { error: (error as Error).message });
      sendProblem(response, request, unavailable, { 'Retry-After': String(unavailable.retryAfterSeconds) });
      return;
    }

    logger.error('Request failed with an unexpected error', { error });
    sendProblem(response, request, { status: 500, code: 'internal_error', message: 'An unexpected error occurred' });
  };
}
