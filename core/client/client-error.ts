import { LibsqlError } from './libsql-error.ts';

/**
 * Codes of {@link ClientError}. Of the primary's: `PRIMARY_UNAVAILABLE` (no primary took the
 * request before the deadline: it did not run), `WRITE_OUTCOME_UNKNOWN` (it was sent and the
 * connection died before the answer: it may have committed), `ALREADY_APPLIED` (a retry of a
 * write the primary applied but whose answer was too large to keep), `PRIMARY_UNREACHABLE` (a replica's
 * follower cannot reach its primary), `STATEMENT_TIMEOUT` and `RESPONSE_TOO_LARGE` (the primary's
 * limits), `PRIMARY_ERROR` (any other refusal).
 */
export type ClientErrorCode =
  | 'URL_INVALID'
  | 'URL_SCHEME_NOT_SUPPORTED'
  | 'URL_PARAM_NOT_SUPPORTED'
  | 'CLIENT_CLOSED'
  | 'TRANSACTION_CLOSED'
  | 'ARGS_INVALID'
  | 'PRIMARY_UNREACHABLE'
  | 'PRIMARY_UNAVAILABLE'
  | 'WRITE_OUTCOME_UNKNOWN'
  | 'ALREADY_APPLIED'
  | 'PRIMARY_ERROR'
  | 'STATEMENT_TIMEOUT'
  | 'RESPONSE_TOO_LARGE'
  | 'REPLICA_LAG'
  | 'NOT_SUPPORTED';

/**
 * A misuse of the `Client` that SQLite never saw: a bad URL, a call on a closed client or
 * transaction, malformed statement arguments, a primary that cannot be reached. A
 * {@link LibsqlError} (so `catch (e) { if (e instanceof LibsqlError) … }` sees it, as in libSQL)
 * with no `extendedCode` or `rawCode`; failures inside SQLite are plain `LibsqlError`s.
 *
 * @example
 * await tx.commit();
 * await tx.execute('SELECT 1'); // ClientError { code: 'TRANSACTION_CLOSED' }
 */
export class ClientError extends LibsqlError {
  declare readonly code: ClientErrorCode;

  constructor(message: string, code: ClientErrorCode, cause?: Error) {
    super(message, code, undefined, undefined, cause);
  }

  override get name(): string {
    return 'ClientError';
  }
}
