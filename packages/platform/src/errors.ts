/** One invalid field: where it is in the input and why it was rejected. */
export interface ValidationIssue {
  /** Path from the root of the input, for example `['data', 'to', 1]`. */
  path: (string | number)[];
  message: string;
}

/**
 * Error with a stable machine-readable code and the HTTP status it maps to.
 * Services throw these; the api turns them into `application/problem+json`.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** Input that does not match its schema. Nothing has been written when it is thrown. */
export class ValidationError extends AppError {
  readonly issues: ValidationIssue[];

  constructor(message: string, issues: ValidationIssue[], code = 'validation_failed') {
    super(code, 400, message);
    this.issues = issues;
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string) {
    super(code, 404, message);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, 409, message);
  }
}

/** A dependency such as Redis cannot be reached; the client may retry after `retryAfterSeconds`. */
export class UnavailableError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 5, options?: ErrorOptions) {
    super('service_unavailable', 503, message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Converts zod issues into `ValidationIssue`s, each path prefixed with `basePath`. */
export function toValidationIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
  basePath: (string | number)[] = [],
): ValidationIssue[] {
  return issues.map((issue) => ({
    path: [...basePath, ...issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)))],
    message: issue.message,
  }));
}
