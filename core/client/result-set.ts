import type { ResultSet, Row, Value } from './types.ts';

/**
 * The names that can be set as properties on a row array: not `length`, not an array index,
 * not `__proto__` (assigning it would replace the row's prototype), and each name once (the
 * first column with that name wins, as in @libsql/client).
 */
export function rowPropertyNames(columns: readonly string[]): Array<[index: number, name: string]> {
  const seen = new Set<string>();
  const out: Array<[number, string]> = [];
  columns.forEach((name, i) => {
    if (name === 'length' || name === '__proto__' || /^(0|[1-9]\d*)$/.test(name) || seen.has(name)) return;
    seen.add(name);
    out.push([i, name]);
  });
  return out;
}

/** Gives each row array its column-name properties. */
export function nameRows(rows: Value[][], names: Array<[number, string]>): Row[] {
  for (const row of rows) {
    const r = row as unknown as Record<string, Value>;
    for (let k = 0; k < names.length; k++) {
      const [i, name] = names[k]!;
      r[name] = row[i]!;
    }
  }
  return rows as Row[];
}

/** A {@link ResultSet} value. */
export class ResultSetImpl implements ResultSet {
  constructor(
    readonly columns: string[],
    readonly columnTypes: string[],
    readonly rows: Row[],
    readonly rowsAffected: number,
    readonly lastInsertRowid: bigint | undefined,
  ) {}

  toJSON(): unknown {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) => Array.from(row, jsonValue)),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid === undefined ? null : this.lastInsertRowid.toString(),
    };
  }
}

function jsonValue(v: Value): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString('base64');
  return v;
}
