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
export type Authorizer = (action: number, arg1: string | null, arg2: string | null, database: string | null, trigger: string | null) => number;
