/**
 * Wraps `fn` in BEGIN/COMMIT (ROLLBACK if it throws) for drivers without a transaction helper,
 * returning a function like better-sqlite3's `db.transaction(fn)` does.
 *
 * ```js
 * const insertAll = sqlTransaction((sql) => db.exec(sql), () => rows.forEach(insert));
 * insertAll();
 * ```
 */
export function sqlTransaction(exec, fn) {
  return (...args) => {
    exec('BEGIN');
    try {
      const result = fn(...args);
      exec('COMMIT');
      return result;
    } catch (error) {
      exec('ROLLBACK');
      throw error;
    }
  };
}
