import { WasmliteError } from '../../core/util/wasmlite-error.ts';

/**
 * A request the primary refuses, with the machine-readable `code` that the server sends back as
 * `{ error: { code, message, ...details } }`; the HTTP status is the server's to choose from the
 * code (`replication/http/error-status.ts`), never the domain code's. SQLite's own failures are
 * not wrapped: they stay `SqliteError`s and the server maps them.
 *
 * @example
 * throw new RequestError('READ_ONLY_TOKEN', 'a read token cannot run a statement that writes');
 */
export class RequestError extends WasmliteError {
  /** Extra JSON fields for the error body (`{ firstTxid }` for `LOG_COMPACTED`). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, code, options);
    this.details = details;
  }

  override get name(): string {
    return 'RequestError';
  }
}
