import * as orm from 'drizzle-orm';
import type { SelectedFieldsOrdered } from 'drizzle-orm/sqlite-core';
import { rowValues, type ResultSet, type Row } from '../../core/index.ts';

type MapResultRow = (
  fields: SelectedFieldsOrdered,
  row: unknown[],
  joinsNotNullableMap: Record<string, boolean> | undefined,
) => Record<string, unknown>;

/**
 * drizzle-orm's own array-row mapper (column decoders, nested selections, nullable joins). Every
 * 0.44/0.45 release exports it at runtime but leaves it out of its type declarations, which is
 * why it is reached through the namespace; a release without it fails here, at import time.
 */
export const mapResultRow: MapResultRow = (() => {
  const fn = (orm as unknown as { mapResultRow?: MapResultRow }).mapResultRow;
  if (typeof fn !== 'function')
    throw new Error('wasmlite/drizzle: this drizzle-orm version has no mapResultRow export (supported: 0.44 and 0.45)');
  return fn;
})();

/**
 * A blob as drizzle-orm's blob columns expect it: the Client returns `ArrayBuffer`s, Drizzle's
 * native drivers give `Buffer`s (a view, no copy). Every other value passes through.
 */
export function normalizeValue(value: unknown): unknown {
  return value instanceof ArrayBuffer ? Buffer.from(value) : value;
}

/**
 * The rows of a result as plain value arrays, blobs as `Buffer`s: each row's own values
 * (`rowValues`, no copy, no per-cell getter), blobs replaced in place.
 */
export function valueRows(rows: Row[]): unknown[][] {
  const out = new Array<unknown[]>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values: unknown[] = rowValues(rows[r]!);
    for (let i = 0; i < values.length; i++) {
      if (values[i] instanceof ArrayBuffer) values[i] = Buffer.from(values[i] as ArrayBuffer);
    }
    out[r] = values;
  }
  return out;
}

/** The rows as plain value arrays (what `values()` returns): a copy of each row's values. */
export function plainRows(rows: Row[]): unknown[][] {
  return rows.map((row) => rowValues(row).map(normalizeValue));
}

/**
 * One row as an object keyed by column name (what `db.all(sql)` / `db.get(sql)` return), blobs as
 * `Buffer`s. With duplicate names the first column wins, as on the Client's rows.
 */
export function objectRow(columns: readonly string[], row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = rowValues(row);
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i]!;
    if (!Object.prototype.hasOwnProperty.call(out, name)) out[name] = normalizeValue(values[i]);
  }
  return out;
}

/** Every row of `rs` as an object (see {@link objectRow}). */
export function objectRows(rs: ResultSet): Array<Record<string, unknown>> {
  return rs.rows.map((row) => objectRow(rs.columns, row));
}
