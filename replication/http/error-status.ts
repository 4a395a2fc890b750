import { ForbiddenActionError, SqliteError } from '../../core/index.ts';
import { RequestError } from '../primary/request-error.ts';

/**
 * The HTTP status of each {@link RequestError} code: the one place where the primary's refusals
 * become statuses (domain code throws codes only). A code missing here is a 500.
 */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  BAD_UTF8: 400,
  BAD_IDEMPOTENCY_KEY: 400,
  STATEMENT_TIMEOUT: 400,
  RESPONSE_TOO_LARGE: 400,
  TRANSACTION_CLOSED: 400,
  TRANSACTION_CONTROL: 400,
  UNAUTHORIZED: 401,
  READ_ONLY_TOKEN: 403,
  NOT_A_REPLICA: 403,
  NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  ACK_REFUSED: 409,
  ALREADY_APPLIED: 409,
  FROM_AHEAD: 409,
  LOG_COMPACTED: 410,
  LOG_DAMAGED: 410,
  TRANSACTION_EXPIRED: 410,
  BODY_TOO_LARGE: 413,
  CLOSING: 503,
  NOT_PRIMARY: 503,
  PRIMARY_UNAVAILABLE: 503,
  QUORUM_TIMEOUT: 503,
  TOO_MANY_TRANSACTIONS: 503,
};

const BAD_INPUT_CODES = /^SQLITE_(ERROR|CONSTRAINT|MISMATCH|RANGE|TOOBIG|AUTH)/;
const BUSY_CODES = /^SQLITE_(BUSY|LOCKED)/;

/**
 * An error answer: the HTTP status and the `error` object of the JSON body.
 *
 * @example
 * const { status, body } = errorResponse(new RequestError('NOT_FOUND', 'no route'));
 * // 404, { code: 'NOT_FOUND', message: 'no route' }
 */
export interface ErrorResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * How the primary answers `error`: a {@link RequestError} by its code (table above, with its
 * details), a `ForbiddenActionError` 403 `FORBIDDEN_ACTION` naming the action, a `SqliteError`
 * by its result code (400 for bad input, 503 busy, 507 `SQLITE_FULL`, else 500; the errno behind
 * an I/O failure as `errno`, never its message, which names server paths), a `TypeError` or
 * `RangeError` (a statement's wrong parameters) 400 `BAD_REQUEST`, anything else 500 `INTERNAL`.
 *
 * @example
 * errorResponse(new SqliteError('database or disk is full', 'SQLITE_FULL', 13)).status; // 507
 */
export function errorResponse(error: unknown): ErrorResponse {
  if (error instanceof RequestError) {
    return {
      status: STATUS_OF_CODE[error.code] ?? 500,
      body: { code: error.code, message: error.message, ...error.details },
    };
  }
  if (error instanceof ForbiddenActionError) {
    return {
      status: 403,
      body: { code: 'FORBIDDEN_ACTION', action: error.action, rawCode: error.rawCode, message: error.message },
    };
  }
  if (error instanceof SqliteError) {
    const status = BAD_INPUT_CODES.test(error.code)
      ? 400
      : BUSY_CODES.test(error.code)
        ? 503
        : error.code === 'SQLITE_FULL'
          ? 507
          : 500;
    const errno = (error.cause as { code?: unknown } | undefined)?.code;
    const cause = typeof errno === 'string' && /^E[A-Z0-9]+$/.test(errno) ? { errno } : {};
    return { status, body: { code: error.code, rawCode: error.rawCode, message: error.message, ...cause } };
  }
  if (error instanceof RangeError || error instanceof TypeError) {
    return { status: 400, body: { code: 'BAD_REQUEST', message: error.message } };
  }
  return {
    status: 500,
    body: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
  };
}
