import { SQLITE_DENY, SQLITE_IGNORE, SQLITE_OK } from '../sqlite3/constants.ts';
import type { Connection } from './connection.ts';

/**
 * A function SQLite calls while it compiles a statement, once per action the statement would take
 * (read a column, insert into a table, run a PRAGMA, ATTACH a file, call a function…), as
 * `sqlite3_set_authorizer` defines it. `action` is one of SQLite's authorizer action codes
 * (`SQLITE_PRAGMA` = 19, `SQLITE_ATTACH` = 24, … in sqlite3.h); `arg1` and `arg2` depend on the
 * action (for a PRAGMA: its name and its argument or `null`); `database` is the schema (`main`,
 * `temp`), `trigger` the trigger or view whose code asked, if any.
 *
 * Answer `SQLITE_OK` (0) to allow, `SQLITE_DENY` (1) to fail the preparation with `SQLITE_AUTH`,
 * `SQLITE_IGNORE` (2) to read NULL instead of the column (or skip the action). An exception
 * thrown by the function denies the action and is what `prepare` (or `exec`, or the step that
 * re-prepares the statement after a schema change) throws, unchanged.
 *
 * @example
 * db.setAuthorizer((action, arg1) => (action === 24 ? 1 : 0)); // no ATTACH on this connection
 */
export type Authorizer = (
  action: number,
  arg1: string | null,
  arg2: string | null,
  database: string | null,
  trigger: string | null,
) => number;

/**
 * Installs `authorizer` on the connection with `sqlite3_set_authorizer` (`null` removes it) and
 * returns the function-table pointer of the new callback (0 for none); the caller frees the
 * previous one. Nothing throws into WASM: an exception of the authorizer, or an answer other than
 * `SQLITE_OK`/`SQLITE_DENY`/`SQLITE_IGNORE`, denies the action and is kept for `prepare` to throw.
 *
 * @example
 * const ptr = installAuthorizer(connection, (action) => (action === 24 ? 1 : 0));
 */
export function installAuthorizer(c: Connection, authorizer: Authorizer | null): number {
  if (authorizer !== null && typeof authorizer !== 'function')
    throw new TypeError('Expected first argument to be a function or null');
  const db = c.ptr;
  const e = c.engine;
  let ptr = 0;
  if (authorizer !== null) {
    const callback = (
      _: number,
      action: number,
      arg1: number,
      arg2: number,
      database: number,
      trigger: number,
    ): number => {
      try {
        const answer = authorizer(action, e.cstring(arg1), e.cstring(arg2), e.cstring(database), e.cstring(trigger));
        if (answer === SQLITE_OK || answer === SQLITE_DENY || answer === SQLITE_IGNORE) return answer;
        c.pendingError = new TypeError(
          'Expected the authorizer to return SQLITE_OK (0), SQLITE_DENY (1) or SQLITE_IGNORE (2)',
        );
      } catch (error) {
        c.pendingError = error;
      }
      return SQLITE_DENY;
    };
    ptr = e.installFunction(callback as (...args: never[]) => unknown, 'i(pipppp)');
  }
  const rc = e.x.sqlite3_set_authorizer(db, ptr, 0);
  if (rc !== SQLITE_OK) {
    if (ptr !== 0) e.uninstallFunction(ptr);
    throw c.error(rc);
  }
  return ptr;
}
