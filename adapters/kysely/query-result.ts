/**
 * Client results as Kysely wants them: rows as plain objects keyed by column name, and for
 * statements that change rows `numAffectedRows` / `insertId` as bigints.
 */
import type { QueryResult } from 'kysely';
import { rowValues, type ResultSet, type Row, type Value } from '../../core/index.ts';

/**
 * Shapes a client result as Kysely's `QueryResult`. Whether the statement returns rows is what
 * the prepared statement said (`columns`), never a guess from the SQL text; one that returns rows
 * gives `rows` only, as Kysely's own SqliteDriver does (no `numAffectedRows` for `RETURNING`).
 *
 * @example
 * toQueryResult(await client.execute('INSERT INTO t (x) VALUES (1)'));
 * // { rows: [], numAffectedRows: 1n, insertId: 1n }
 */
export function toQueryResult<R>(result: ResultSet): QueryResult<R> {
  const { columns, rows, rowsAffected, lastInsertRowid } = result;
  if (columns.length === 0) return { rows: [], numAffectedRows: BigInt(rowsAffected), insertId: lastInsertRowid };
  const keys = columnKeys(columns);
  const objects = new Array<R>(rows.length);
  for (let r = 0; r < rows.length; r++) objects[r] = rowObject(rows[r]!, keys) as R;
  // As Kysely's SqliteDriver: a statement that returns rows (INSERT … RETURNING too) gives rows only.
  return { rows: objects };
}

/** A result column: where to read it in a row (index or name), and its name. */
export type Column = [at: number | string, name: string];

/** Each column name once: the first column with a name wins, as in the client's rows. */
function columnKeys(columns: readonly string[]): Column[] {
  const seen = new Set<string>();
  const out: Column[] = [];
  columns.forEach((name, i) => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push([i, name]);
  });
  return out;
}

/**
 * The columns of a streamed row, which does not come with its column list: its enumerable own
 * properties are the column names, in column order (read by name, as the client names them).
 */
export function streamedColumns(row: Row): Column[] {
  return Object.keys(row).map((name): Column => [name, name]);
}

/**
 * A row as a plain object keyed by column name. Blobs become Buffers (the client gives
 * ArrayBuffers; Kysely's SQLite users get Buffers from better-sqlite3), without a copy. A column
 * at an index is read from the row's values array (`rowValues`): a row's index properties are
 * getters, and reading every cell through them made wide results ~40% slower.
 */
export function rowObject(row: Row, columns: readonly Column[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = rowValues(row);
  for (let i = 0; i < columns.length; i++) {
    const [at, name] = columns[i]!;
    const v = typeof at === 'number' ? values[at]! : (row as unknown as Record<string, Value>)[at]!;
    out[name] = v instanceof ArrayBuffer ? Buffer.from(v) : v;
  }
  return out;
}
