import { entityIdSchema, isQueueName, type QueueName } from '@backbone/contracts';
import { NotFoundError, toValidationIssues, ValidationError } from '@backbone/platform';
import type { z } from 'zod';

import { QUERY_ISSUE_ROOT } from '../http/problem';

/** Queue named by a path parameter; 404 `queue_not_found` when the contracts do not declare it. */
export function queueParam(value: unknown): QueueName {
  const name = String(value);
  if (!isQueueName(name)) {
    throw new NotFoundError('queue_not_found', `Queue "${name}" is not declared`);
  }
  return name;
}

/**
 * Entity id from a path parameter. An id that does not match the id format
 * cannot exist, so it is the same 404 as an unknown id.
 */
export function entityIdParam(value: unknown, notFoundCode: string, what: string): string {
  const id = String(value);
  if (!entityIdSchema.safeParse(id).success) {
    throw new NotFoundError(notFoundCode, `${what} "${id}" does not exist`);
  }
  return id;
}

/** Parses a JSON body with `schema`; every invalid field is listed in the `ValidationError`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new ValidationError(`Invalid ${what}`, toValidationIssues(result.error.issues));
  }
  return result.data;
}

/** Parses query parameters with `schema`; issues name the parameters, not body fields. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const result = schema.safeParse(query);
  if (!result.success) {
    throw new ValidationError('Invalid query parameters', toValidationIssues(result.error.issues, [QUERY_ISSUE_ROOT]));
  }
  return result.data;
}
