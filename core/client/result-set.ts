import { rowValues } from './libsql-row.ts';
import type { ResultSet, Row, Value } from './types.ts';

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
      rows: this.rows.map((row) => rowValues(row).map(jsonValue)),
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
