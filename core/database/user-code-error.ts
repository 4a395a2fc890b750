import type { Connection } from './connection.ts';

/**
 * The text SQLite is given for an exception of user code. The caller of the statement receives
 * the exception itself (see `Connection.pendingError`); this text only stands in for it inside
 * SQLite, where it could reach `sqlite3_errmsg`.
 *
 * @example messageOf(new TypeError('bad')) // 'bad'; messageOf(42) // '42'
 */
export function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    // A value without a usable string form (Object.create(null), a throwing toString).
    return 'an exception was thrown';
  }
}

/**
 * Fails the SQL function call `ctx` because user code threw `error`: keeps the exception on the
 * connection, to be rethrown unchanged by the step that called the function, and reports an
 * error to SQLite so the statement stops. Never throws (it runs inside a WASM callback).
 *
 * @example
 * try { setResult(e, ctx, fn(...args)); } catch (error) { failCall(connection, ctx, error); }
 */
export function failCall(connection: Connection, ctx: number, error: unknown): void {
  connection.pendingError = error;
  const e = connection.engine;
  try {
    const message = messageOf(error);
    const n = Buffer.byteLength(message);
    const ptr = e.scratch(n + 1);
    e.buf.write(message, ptr, n, 'utf8');
    e.x.sqlite3_result_error(ctx, ptr, n);
  } catch {
    // No heap left for the text: the call still fails, and the caller still gets `error`.
    e.x.sqlite3_result_error_nomem(ctx);
  }
}
