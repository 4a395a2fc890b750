import { createHash, timingSafeEqual } from 'node:crypto';
import type { Access } from '../primary/statement-executor.ts';
import { RequestError } from '../primary/request-error.ts';

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Bearer-token checks: read-write tokens, replica tokens and read tokens, compared in constant
 * time over SHA-256 digests (equal lengths whatever the token). A replica token reads as a read
 * token does and may also confirm writes as a replica (`POST /v1/ack`); so may a write token, a
 * read token may not. With no token at all, every request has write access (the primary refuses
 * that on a non-loopback host).
 *
 * @example
 * const auth = new TokenAuth({ write: ['s3cret'], read: ['r3ad'], replicate: ['f0llow'] });
 * auth.check('Bearer r3ad'); // 'read'
 * auth.checkReplica('Bearer r3ad'); // throws 403 NOT_A_REPLICA
 */
export class TokenAuth {
  readonly #write: Buffer[];
  readonly #read: Buffer[];
  readonly #replicate: Buffer[];

  constructor(tokens: { read?: readonly string[]; write?: readonly string[]; replicate?: readonly string[] }) {
    this.#write = (tokens.write ?? []).map(digest);
    this.#read = (tokens.read ?? []).map(digest);
    this.#replicate = (tokens.replicate ?? []).map(digest);
  }

  /** Whether any token is configured. */
  get enabled(): boolean {
    return this.#write.length + this.#read.length + this.#replicate.length > 0;
  }

  /**
   * Throws unless the `Authorization` header is a replica's: a replica token or a write token
   * (or any request when no token is configured). A {@link RequestError} 401 if it is missing or
   * matches no token, 403 `NOT_A_REPLICA` for a read token.
   *
   * @example
   * auth.checkReplica(request.headers.authorization);
   */
  checkReplica(header: string | undefined): void {
    if (this.#role(header) !== 'read') return;
    throw new RequestError(
      'NOT_A_REPLICA',
      'a read token cannot report as a replica: use a replica token ("tokens.replicate") or a write token',
    );
  }

  /**
   * The access an `Authorization` header grants; a {@link RequestError} 401 if it is missing or
   * matches no token.
   *
   * @example
   * auth.check(request.headers.authorization);
   */
  check(header: string | undefined): Access {
    // A replica token reads like a read token; only checkReplica tells it apart.
    return this.#role(header) === 'write' ? 'write' : 'read';
  }

  #role(header: string | undefined): 'write' | 'replicate' | 'read' {
    if (!this.enabled) return 'write';
    const token = bearerToken(header);
    if (token === undefined) throw new RequestError('UNAUTHORIZED', 'missing bearer token');
    const given = digest(token);
    let write = false;
    let replicate = false;
    let read = false;
    // Compare against every token so that the time does not say which one matched.
    for (const token of this.#write) write = timingSafeEqual(token, given) || write;
    for (const token of this.#replicate) replicate = timingSafeEqual(token, given) || replicate;
    for (const token of this.#read) read = timingSafeEqual(token, given) || read;
    if (write) return 'write';
    if (replicate) return 'replicate';
    if (read) return 'read';
    throw new RequestError('UNAUTHORIZED', 'invalid bearer token');
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
