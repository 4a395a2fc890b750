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
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer`, `BEARER` and `Bearer` are one.
    const match = header === undefined ? null : /^Bearer +(.+)$/i.exec(header);
    if (match === null) throw new RequestError(401, 'UNAUTHORIZED', 'missing bearer token');
    const given = digest(match[1]!);
    let write = false;
    let read = false;
    // Compare against every token so that the time does not say which one matched.
    for (const token of this.#write) write = timingSafeEqual(token, given) || write;
    for (const token of this.#read) read = timingSafeEqual(token, given) || read;
    if (write) return 'write';
    if (read) return 'read';
    throw new RequestError(401, 'UNAUTHORIZED', 'invalid bearer token');
  }
}
