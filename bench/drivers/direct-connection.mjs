/**
 * The connection the workloads use, over a driver whose statements already have the workloads'
 * shape (positional parameters, object rows, `run`/`get`/`all`): better-sqlite3, wasmlite,
 * node:sqlite and bun:sqlite. Only how a pragma is read and the transaction helper differ.
 *
 * ```js
 * const db = new DatabaseSync(file);
 * const pragma = (text) => firstValue(db.prepare(`PRAGMA ${text}`).get());
 * return directConnection(db, { pragma, transaction: (fn) => sqlTransaction((sql) => db.exec(sql), fn) });
 * ```
 */

/**
 * @typedef {object} DirectDatabase
 * @property {(sql: string) => unknown} exec
 * @property {(sql: string) => any} prepare
 * @property {() => unknown} close
 */

/**
 * A connection over `db`, with `pragma` and `transaction` as given.
 * @param {DirectDatabase} db
 * @param {{ pragma: (text: string) => unknown, transaction: (fn: Function) => Function }} how
 * @returns {import('../workloads.mjs').Connection}
 */
export function directConnection(db, { pragma, transaction }) {
  return {
    exec: (sql) => void db.exec(sql),
    pragma,
    prepare: (sql) => db.prepare(sql),
    transaction,
    close: () => void db.close(),
  };
}

/**
 * The first value of a row (what a pragma answers), undefined for no row.
 * @param {Record<string, unknown> | null | undefined} row
 */
export function firstValue(row) {
  return row == null ? undefined : Object.values(row)[0];
}
