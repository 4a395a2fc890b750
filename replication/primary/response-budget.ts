import type { SqlValue } from '../../core/index.ts';
import { RequestError } from './request-error.ts';

/** `{"$blob":""}` around a blob's base64, `{"$bigint":""}` around a large integer's digits. */
const WRAPPER_BYTES = 14;
/** The longest JSON a REAL takes (`-2.2250738585072014e-308`). */
const REAL_BYTES = 24;

/**
 * The size of the rows one request answers with, counted as they are read, so that a statement
 * that would answer too much is stopped before the response is built (a 3M-row answer used to
 * run the primary out of memory inside `JSON.stringify`). Bytes are counted as the JSON the
 * values become: a string its UTF-8 length plus quotes (escapes not counted), an integer its
 * digits (rounded up to 5, 10, 16 or 20 and the `$bigint` wrapper), a REAL 24 bytes, a blob its
 * base64 length, and the separators. Past `maxRows` rows or
 * `maxBytes` bytes, {@link count} throws a {@link RequestError} `RESPONSE_TOO_LARGE`.
 *
 * @example
 * const budget = new ResponseBudget(200_000, 10 << 20);
 * budget.reset(); // at the start of each request
 * for (const row of stmt.iterate()) { budget.count(row); rows.push(row); }
 */
export class ResponseBudget {
  /** The most rows one answer may hold, over all its statements. */
  readonly maxRows: number;
  /** The most bytes of JSON the rows of one answer may take. */
  readonly maxBytes: number;
  #rows = 0;
  #bytes = 0;

  constructor(maxRows: number, maxBytes: number) {
    this.maxRows = maxRows;
    this.maxBytes = maxBytes;
  }

  /** Starts counting a new request's answer. */
  reset(): void {
    this.#rows = 0;
    this.#bytes = 0;
  }

  /** Counts one row of the answer; the typed error once the answer is over either limit. */
  count(row: readonly SqlValue[]): void {
    this.#rows++;
    // `[` and `]`, one comma per value and one before the next row.
    let bytes = 2 + row.length;
    for (const value of row) bytes += valueBytes(value);
    this.#bytes += bytes;
    if (this.#rows > this.maxRows) {
      throw new RequestError(
        'RESPONSE_TOO_LARGE',
        `the answer has more than ${this.maxRows} rows, the most one response may hold: narrow the query or page it with LIMIT`,
      );
    }
    if (this.#bytes > this.maxBytes) {
      throw new RequestError(
        'RESPONSE_TOO_LARGE',
        `the answer is larger than ${this.maxBytes} bytes, the most one response may hold: narrow the query or page it with LIMIT`,
      );
    }
  }
}

function valueBytes(value: SqlValue): number {
  if (value === null) return 4;
  if (typeof value === 'string') return Buffer.byteLength(value) + 2;
  if (typeof value === 'number') return REAL_BYTES;
  if (typeof value === 'bigint') {
    // Rounded up by magnitude: exact digits would cost a string per value.
    const magnitude = Math.abs(Number(value));
    return magnitude < 1e4 ? 5 : magnitude < 1e9 ? 10 : magnitude < 1e15 ? 16 : 20 + WRAPPER_BYTES;
  }
  return Math.ceil(value.byteLength / 3) * 4 + WRAPPER_BYTES;
}
