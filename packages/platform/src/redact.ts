/** Keys whose values are never logged, whatever they contain. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie|credential|private[-_]?key/i;

/** Keys that hold e-mail recipients; their values are hidden as a whole. */
const EMAIL_KEY = /^(to|cc|bcc|from|email|e-?mail[-_]?address|recipients?)$/i;

const EMAIL_ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** `scheme://user:password@host`: the credentials part of a URL. */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi;

export const REDACTED = '[redacted]';
export const REDACTED_EMAIL = '[email]';

const MAX_DEPTH = 6;

/** Replaces e-mail addresses and URL credentials inside free text. */
export function redactText(text: string): string {
  // Both patterns need an "@"; most log strings (ids, names) have none, and
  // this check is far cheaper than running the two regular expressions.
  if (!text.includes('@')) {
    return text;
  }
  return text.replace(URL_CREDENTIALS, `$1${REDACTED}@`).replace(EMAIL_ADDRESS, REDACTED_EMAIL);
}

/**
 * Returns a copy of `value` without secrets or e-mail addresses: values under
 * secret-looking keys become `[redacted]`, recipients become `[email]`, and
 * strings lose embedded addresses and URL passwords. Errors keep their
 * message and stack, redacted the same way.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return redactText(value);
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (depth >= MAX_DEPTH) {
    return '[truncated]';
  }
  if (Array.isArray(value)) {
    return value.map((item) => redact(item, depth + 1));
  }
  if (value instanceof Date) {
    return value;
  }

  const copy: Record<string, unknown> = {};
  if (value instanceof Error) {
    copy.name = value.name;
    copy.message = redactText(value.message);
    if (value.stack !== undefined) {
      copy.stack = redactText(value.stack);
    }
  }
  for (const [key, item] of Object.entries(value)) {
    copy[key] = redactEntry(key, item, depth);
  }
  return copy;
}

/** Redacts one property of a log record or of a nested object. */
export function redactEntry(key: string, value: unknown, depth = 0): unknown {
  if (value === undefined || value === null) {
    return value;
  }
  if (SECRET_KEY.test(key)) {
    return REDACTED;
  }
  if (EMAIL_KEY.test(key)) {
    return REDACTED_EMAIL;
  }
  return redact(value, depth + 1);
}
