import type { Connection } from './connection.ts';
import { positiveInteger } from '../util/option-checks.ts';

// What the progress callback returns: any non-zero value makes SQLite interrupt the statement.
const CONTINUE = 0;
const INTERRUPT = 1;

/**
 * Installs `interrupt` as the connection's progress handler (`sqlite3_progress_handler`), called
 * every `ops` virtual machine instructions while a statement runs; when it returns true SQLite
 * stops the statement with `SQLITE_INTERRUPT`. `undefined` removes the handler. Returns the
 * function-table pointer of the new handler (0 for none); the caller frees the previous one. An
 * exception thrown by `interrupt` stops the statement too, and the step rethrows it. A TypeError
 * for an `ops` that is not a positive integer.
 *
 * @example
 * const deadline = performance.now() + 1000;
 * const ptr = installProgressHandler(connection, 10_000, () => performance.now() > deadline);
 */
export function installProgressHandler(c: Connection, ops: number, interrupt: (() => boolean) | undefined): number {
  positiveInteger(ops, 'ops', 'argument');
  const db = c.ptr;
  const e = c.engine;
  if (interrupt === undefined) {
    e.x.sqlite3_progress_handler(db, 0, 0, 0);
    return 0;
  }
  const callback = (): number => {
    try {
      return interrupt() ? INTERRUPT : CONTINUE;
    } catch (error) {
      // Nothing throws into WASM: the step that was interrupted rethrows it.
      c.pendingError = error;
      return INTERRUPT;
    }
  };
  const ptr = e.installFunction(callback as (...args: never[]) => unknown, 'i(p)');
  e.x.sqlite3_progress_handler(db, ops, ptr, 0);
  return ptr;
}
