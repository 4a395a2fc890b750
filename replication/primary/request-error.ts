/**
 * A request the primary refuses, with the HTTP status and the machine-readable `code` that the
 * server sends back as `{ error: { code, message } }`. SQLite's own failures are not wrapped:
 * they stay `SqliteError`s and the server maps them.
 *
 * @example
 * throw new RequestError(403, 'READ_ONLY_TOKEN', 'a read token cannot run a statement that writes');
 */
export class RequestError extends Error {
  /** The HTTP status: 400, 401, 403, 404, 405, 410, 413, 503. */
  readonly status: number;
  /** A short upper-case code, e.g. `BAD_REQUEST`, `UNAUTHORIZED`, `READ_ONLY_TOKEN`. */
  readonly code: string;
  /** Extra JSON fields for the error body (`{ firstTxid }` for 410). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  override get name(): string {
    return 'RequestError';
  }
}
