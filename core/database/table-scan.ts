import type { Engine } from '../sqlite3/engine.ts';
import { readValues, setResult, type SqlValue } from '../sqlite3/values.ts';
import type { CheckedTable } from './table-definition.ts';

/**
 * One scan of a JS virtual table: what a `sqlite3_vtab_cursor` stands for. `filter` calls the
 * table's `rows` generator with the parameters the query plan passes; `next` takes one row from
 * it, so a statement stepped row by row (`iterate()`, `LIMIT`) runs the generator only as far as
 * it reads. Row ids count the rows of the scan from 1.
 *
 * Methods throw for bad rows and for exceptions of the generator; the module's callbacks turn
 * that into an SQLite error (see `virtual-table.ts`).
 *
 * @example
 * const scan = new TableScan(engine, 'numbers', table, false);
 * scan.filter(0, 0, 0); // no parameters given
 * while (!scan.eof) { scan.column(ctx, 0); scan.next(); }
 * scan.close();
 */
export class TableScan {
  readonly #engine: Engine;
  readonly #module: string;
  readonly #table: CheckedTable;
  readonly #bigints: boolean;
  #iterator: Iterator<unknown> | undefined;
  #parameters: (SqlValue | undefined)[] = [];
  #row: unknown[] = [];
  #rowid = 0;
  #eof = true;

  constructor(engine: Engine, module: string, table: CheckedTable, bigints: boolean) {
    this.#engine = engine;
    this.#module = module;
    this.#table = table;
    this.#bigints = bigints;
  }

  /** True once the rows are exhausted (or none can match). */
  get eof(): boolean {
    return this.#eof;
  }

  /** The current row's id. */
  get rowid(): number {
    return this.#rowid;
  }

  /**
   * Starts the scan (xFilter). Bit `i` of `plan` says that parameter `i` is among the `argc`
   * values at `argv`, in parameter order (as `xBestIndex` numbered them). A NULL parameter can
   * match no row (the hidden column would have to equal NULL), so the generator is not called.
   */
  filter(plan: number, argc: number, argv: number): void {
    this.close();
    const values = readValues(this.#engine, argc, argv, this.#bigints);
    const parameters = new Array<SqlValue | undefined>(this.#table.parameters.length);
    for (let i = 0, given = 0; i < parameters.length; i++) {
      if ((plan & (1 << i)) === 0) continue;
      const value = values[given++]!;
      if (value === null) return;
      parameters[i] = value;
    }
    this.#parameters = parameters;
    // The generator gets its own copies of blobs (Buffer.from copies; a Buffer's slice() would not):
    // what it does to them must not change the parameter's hidden column.
    const copies = parameters.map((v) => (v instanceof Uint8Array ? Buffer.from(v) : v));
    this.#iterator = this.#table.rows.apply(undefined, copies);
    this.#eof = false;
    this.#rowid = 0;
    this.next();
  }

  /** Takes the next row from the generator (xNext); a row of the wrong shape is a TypeError. */
  next(): void {
    const step = this.#iterator!.next();
    if (step.done) {
      this.#eof = true;
      this.#iterator = undefined;
      return;
    }
    this.#row = this.#shape(step.value);
    this.#rowid++;
  }

  /** Sets column `i` of the current row (parameters first, as declared) as the result of `ctx`. */
  column(ctx: number, i: number): void {
    const count = this.#table.parameters.length;
    if (i < count) return setResult(this.#engine, ctx, this.#parameters[i]);
    try {
      setResult(this.#engine, ctx, this.#row[i - count]);
    } catch (error) {
      const where = `in column "${this.#table.columns[i - count]}"`;
      const prefix = `Virtual table module "${this.#module}" yielded`;
      if (error instanceof RangeError)
        throw new RangeError(`${prefix} a bigint that was too big ${where}`, { cause: error });
      throw new TypeError(`${prefix} an invalid value ${where}`, { cause: error });
    }
  }

  /**
   * Ends the scan early (xClose, or a new xFilter): the generator is closed as a `for…of` loop
   * closes it, so its `finally` blocks run.
   */
  close(): void {
    const iterator = this.#iterator;
    this.#iterator = undefined;
    this.#eof = true;
    if (iterator === undefined) return;
    try {
      iterator.return?.();
    } catch {
      // SQLite closes cursors while it resets or finalizes the statement, when the caller
      // already has its rows or its error: there is no call left for this exception to fail.
    }
  }

  #shape(row: unknown): unknown[] {
    const { columns, columnIndex } = this.#table;
    const prefix = `Virtual table module "${this.#module}" yielded`;
    if (Array.isArray(row)) {
      if (row.length !== columns.length) throw new TypeError(`${prefix} a row with an incorrect number of columns`);
      return Array.from(row);
    }
    if (typeof row !== 'object' || row === null)
      throw new TypeError(`${prefix} something that isn't a valid row object`);
    const values = new Array<unknown>(columns.length);
    let count = 0;
    for (const key of Object.keys(row)) {
      const index = columnIndex.get(key);
      if (index === undefined) throw new TypeError(`${prefix} a row with an undeclared column "${key}"`);
      values[index] = (row as Record<string, unknown>)[key];
      count++;
    }
    if (count !== columns.length) throw new TypeError(`${prefix} a row with missing columns`);
    return values;
  }
}
