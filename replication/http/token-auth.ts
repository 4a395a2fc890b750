import { createHash, timingSafeEqual } from 'node:crypto';
import type { Access } from '../primary/statement-executor.ts';
import { RequestError } from '../primary/request-error.ts';

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Bearer-token checks: read-write tokens and read tokens, compared in constant time over
 * SHA-256 digests (equal lengths whatever the token). With no token at all, every request has
 * write access (the primary refuses that on a non-loopback host).
 *
 * @example
 * const auth = new TokenAuth({ write: ['s3cret'], read: ['r3ad'] });
 * auth.check('Bearer r3ad'); // 'read'
 */
export class TokenAuth {
  readonly #write: Buffer[];
  readonly #read: Buffer[];

  constructor(tokens: { read?: readonly string[]; write?: readonly string[] }) {
    this.#write = (tokens.write ?? []).map(digest);
    this.#read = (tokens.read ?? []).map(digest);
  }

  /** Whether any token is configured. */
  get enabled(): boolean {
    return this.#write.length + this.#read.length > 0;
  }

  /**
   * The access an `Authorization` header grants; a {@link RequestError} 401 if it is missing or
   * matches no token.
   *
   * @example
   * auth.check(request.headers.authorization);
   */
  check(header: string | undefined): Access {
    if (!this.enabled) return 'write';
    const token = bearerToken(header);
    if (token === undefined) throw new RequestError(401, 'UNAUTHORIZED', 'missing bearer token');
    const given = digest(token);
    let write = false;
    let read = false;
    // Compare against every token so that the time does not say which one matched.
    for (const token of this.#write) write = timingSafeEqual(token, given) || write;
    for (const token of this.#read) read = timingSafeEqual(token, given) || read;
    if (write) return 'write';
    if (read) return 'read';
    throw new RequestError(401, 'UNAUTHORIZED', 'invalid bearer token');
  }

  /**
   * Who holds the token in an `Authorization` header that {@link check} accepted: the hex
   * SHA-256 of the token (the same token, however the header spells the scheme, is one holder),
   * or `''` with no token configured (every caller is then the same anonymous holder). The
   * primary gives an interactive transaction to its holder only.
   *
   * @example
   * registry.begin(mode, auth.check(header), undefined, auth.holder(header));
   */
  holder(header: string | undefined): string {
    const token = this.enabled ? bearerToken(header) : undefined;
    return token === undefined ? '' : digest(token).toString('hex');
  }
}

/** The token of a `Bearer` header; the scheme is case-insensitive (RFC 9110 §11.1). */
function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer +(.+)$/i.exec(header)?.[1];
}
