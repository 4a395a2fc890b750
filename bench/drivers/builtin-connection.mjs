/**
 * The connection the workloads use, over a runtime's built-in SQLite (node:sqlite, bun:sqlite):
 * both prepare statements that take positional parameters and return object rows, so only the
 * transaction helper differs. File databases are switched to WAL, as every driver's are.
 *
 * ```js
 * const db = new DatabaseSync(file);
 * return builtinConnection(db, file, (fn) => sqlTransaction((sql) => db.exec(sql), fn));
 * ```
 */
export function builtinConnection(db, file, transaction) {
  const pragma = (text) => {
    const row = db.prepare(`PRAGMA ${text}`).get();
    return row == null ? undefined : Object.values(row)[0];
  };
  if (file !== ':memory:') pragma('journal_mode = WAL');
  return {
    exec: (sql) => db.exec(sql),
    pragma,
    prepare: (sql) => db.prepare(sql),
    transaction,
    close: () => db.close(),
  };
}
