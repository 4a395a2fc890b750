import type { Engine } from '../sqlite3/engine.ts';
import type { SqlValue } from '../sqlite3/values.ts';

/** Reads one column of the current row of a statement. */
export type ColumnReader = (e: Engine, stmt: number, i: number) => SqlValue;

/** Builds one row object from the current row of a statement. */
export type RowReader = (e: Engine, stmt: number) => Record<string, SqlValue>;

const cache = new Map<string, (read: ColumnReader) => RowReader>();

/**
 * Compiles a function that builds an object row with the given column names as one object
 * literal, so V8 gives every row of a statement the same hidden class (fast property access,
 * no dictionary mode). A later column with the same name wins, as in better-sqlite3.
 */
export function compileRowReader(names: readonly string[], read: ColumnReader): RowReader {
  if (names.includes('__proto__')) return (e, stmt) => genericRow(e, stmt, names, read);
  const key = JSON.stringify(names);
  let make = cache.get(key);
  if (make === undefined) {
    const last = new Map<string, number>();
    names.forEach((name, i) => last.set(name, i));
    const fields = [...last].map(([name, i]) => `${JSON.stringify(name)}: read(e, s, ${i})`);
    make = new Function('read', `return function row(e, s) { return { ${fields.join(', ')} }; };`) as (
      read: ColumnReader,
    ) => RowReader;
    if (cache.size > 1000) cache.clear();
    cache.set(key, make);
  }
  return make(read);
}

function genericRow(e: Engine, stmt: number, names: readonly string[], read: ColumnReader): Record<string, SqlValue> {
  const row: Record<string, SqlValue> = {};
  for (let i = 0; i < names.length; i++) {
    Object.defineProperty(row, names[i]!, {
      value: read(e, stmt, i),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return row;
}

/**
 * Builds rows in better-sqlite3's `expand()` shape: `{ [table]: { [column]: value } }`, with
 * expressions that belong to no table under `$`.
 */
export function compileExpandedReader(
  tables: readonly string[],
  names: readonly string[],
  read: ColumnReader,
): RowReader {
  return (e, stmt) => {
    const row: Record<string, Record<string, SqlValue>> = {};
    for (let i = 0; i < names.length; i++) {
      const table = tables[i]!;
      const group = (row[table] ??= {});
      Object.defineProperty(group, names[i]!, {
        value: read(e, stmt, i),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return row as unknown as Record<string, SqlValue>;
  };
}
