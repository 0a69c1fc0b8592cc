import { createHash, timingSafeEqual } from 'node:crypto';

import type { RequestHandler } from 'express';

import { HttpError } from './problem';

/** Digest of a secret, so that comparisons run on equal lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Compares `candidate` with every accepted secret in constant time. Every
 * secret is compared, so the time taken does not reveal which one matched
 * or how much of a wrong one was right.
 */
export function matchesAnySecret(candidate: string, secrets: readonly Buffer[]): boolean {
  const candidateDigest = digest(candidate);
  let matched = false;
  for (const secret of secrets) {
    matched = timingSafeEqual(candidateDigest, secret) || matched;
  }
  return matched;
}

/**
 * Requires `Authorization: Bearer <key>` with one of `keys`. A missing or
 * malformed header is 401 `api_key_missing`; an unknown key is 403
 * `api_key_invalid`.
 */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const accepted = keys.map(digest);

  return (request, _response, next) => {
    const header = request.get('Authorization');
    const match = header === undefined ? null : /^Bearer +([^ ]+) *$/i.exec(header);
    if (match === null) {
      throw new HttpError(401, 'api_key_missing', 'Send an API key in the Authorization header as "Bearer <key>"', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    if (!matchesAnySecret(match[1]!, accepted)) {
      throw new HttpError(403, 'api_key_invalid', 'The API key is not accepted');
    }
    next();
  };
}

/**
 * Requires HTTP basic credentials equal to `username` and `password`, both
 * compared in constant time. Anything else is 401 with a `WWW-Authenticate`
 * challenge, so browsers show their login prompt.
 */
export function requireBasicAuth(username: string, password: string, realm: string): RequestHandler {
  const expectedUser = [digest(username)];
  const expectedPassword = [digest(password)];
  const challenge = { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` };

  return (request, _response, next) => {
    const header = request.get('Authorization');
    const match = header === undefined ? null : /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (match === null) {
      throw new HttpError(401, 'credentials_missing', 'Sign in with the Bull Board user name and password', challenge);
    }

    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    const user = separator === -1 ? decoded : decoded.slice(0, separator);
    const pass = separator === -1 ? '' : decoded.slice(separator + 1);

    // Both checks always run, so the time taken does not tell which part was wrong.
    const userOk = matchesAnySecret(user, expectedUser);
    const passwordOk = matchesAnySecret(pass, expectedPassword);
    if (!userOk || !passwordOk) {
      throw new HttpError(401, 'credentials_invalid', 'The user name or password is wrong', challenge);
    }
    next();
  };
}
