import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Checks client tokens against `REALTIME_TOKENS`. Each candidate is hashed
 * and compared with every configured token's hash in constant time, so
 * neither the token's content nor its length shows in the timing.
 */
export class TokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  verify(candidate: string): boolean {
    const candidateDigest = digest(candidate);
    let matched = false;
    for (const known of this.digests) {
      // No early exit: every token is compared whatever matched before.
      matched = timingSafeEqual(candidateDigest, known) || matched;
    }
    return matched;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Token of an upgrade request: `Authorization: Bearer <token>`, or the
 * `token` query parameter for browsers, whose WebSocket API cannot set
 * headers. Returns `undefined` when neither is present.
 */
export function tokenOf(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const query = url.searchParams.get('token');
  return query === null || query === '' ? undefined : query;
}
