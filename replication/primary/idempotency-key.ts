import { createHash } from 'node:crypto';
import { RequestError } from './request-error.ts';

/** The `Idempotency-Key` header's rule (FORMAT.md, "Metadata section"): 1..128 printable ASCII characters. */
const HEADER_KEY = /^[\x20-\x7e]{1,128}$/;

/**
 * The key a write is recorded under in the log (`TxMeta.idempotencyKey`) for the `Idempotency-Key`
 * header `header` sent by token holder `holder` (`TokenAuth.holder`: a digest of the token, `''`
 * without tokens): the base64url SHA-256 of both, 43 characters. Scoping by the holder keeps one
 * token from ever being answered another token's result, however guessable its keys are; the
 * digest keeps the key within the format's 128 characters and the token out of the log.
 * `undefined` when no header was sent. Throws a {@link RequestError} `BAD_IDEMPOTENCY_KEY` (400)
 * for a header that is not 1..128 printable ASCII characters, or sent twice.
 *
 * @example
 * recordedIdempotencyKey(req.headersDistinct['idempotency-key'], auth.holder(req.headers.authorization));
 * // 'q3cF…' (43 characters), or undefined
 */
export function recordedIdempotencyKey(
  header: string | readonly string[] | undefined,
  holder: string,
): string | undefined {
  if (header === undefined) return undefined;
  // Each value the header was sent with (`headersDistinct`): node joins repeats with ', '.
  const key = typeof header === 'string' ? header : header.length === 1 ? header[0]! : undefined;
  if (key === undefined || !HEADER_KEY.test(key)) {
    throw new RequestError(
      'BAD_IDEMPOTENCY_KEY',
      'Expected the "Idempotency-Key" header to be one value of 1 to 128 printable ASCII characters',
    );
  }
  return createHash('sha256').update(holder).update('\n').update(key).digest('base64url');
}
