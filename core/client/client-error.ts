import { LibsqlError } from './libsql-error.ts';

/** Codes of {@link ClientError}. */
export type ClientErrorCode =
  | 'URL_INVALID'
  | 'URL_SCHEME_NOT_SUPPORTED'
  | 'URL_PARAM_NOT_SUPPORTED'
  | 'CLIENT_CLOSED'
  | 'TRANSACTION_CLOSED'
  | 'ARGS_INVALID'
  | 'PRIMARY_UNREACHABLE'
  | 'PRIMARY_ERROR'
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
