/** Codes of {@link ClientError}. */
export type ClientErrorCode =
  | 'URL_INVALID' | 'URL_SCHEME_NOT_SUPPORTED' | 'CLIENT_CLOSED' | 'TRANSACTION_CLOSED' | 'ARGS_INVALID'
  | 'PRIMARY_UNREACHABLE' | 'PRIMARY_ERROR' | 'REPLICA_LAG' | 'NOT_SUPPORTED';

/**
 * A misuse of the `Client` that SQLite never saw: a bad URL, a call on a closed client or
 * transaction, malformed statement arguments. Failures inside SQLite are `SqliteError`s.
 *
 * @example
 * await tx.commit();
 * await tx.execute('SELECT 1'); // ClientError { code: 'TRANSACTION_CLOSED' }
 */
export class ClientError extends Error {
  readonly code: ClientErrorCode;

  constructor(message: string, code: ClientErrorCode) {
    super(message);
    this.code = code;
  }

  override get name(): string {
    return 'ClientError';
  }
}
