import { functionLength } from '../util/option-checks.ts';

/**
 * A virtual table as `Database.table()` takes it (better-sqlite3's shape): `rows` is a generator
 * function called once per scan with the table's parameters, yielding each row as an array
 * (values in `columns` order) or an object (keyed by column name).
 *
 * @example
 * const range: TableDefinition = {
 *   columns: ['value'],
 *   parameters: ['start', 'stop'],
 *   *rows(start = 0, stop = 10) { for (let n = Number(start); n < Number(stop); n++) yield [n]; },
 * };
 */
export interface TableDefinition {
  /** The column names, in order. At least one. */
  columns: readonly string[];
  /** Called per scan with the parameters' values (`undefined` for those the query leaves out). */
  rows: (...parameters: any[]) => Generator<readonly unknown[] | Record<string, unknown>, unknown, undefined>;
  /**
   * Names of the parameters, which are hidden columns usable as table-valued function arguments
   * (`SELECT * FROM t(1, 2)`) or with `=` (`WHERE start = 1`). Default: `$1`, `$2`, … as many as
   * `rows.length`.
   */
  parameters?: readonly string[];
  /** Pass INTEGER parameters as bigints (default: the database's `defaultSafeIntegers`). */
  safeIntegers?: boolean;
  /** Usable only from top-level SQL, not from views, triggers or schema expressions. */
  directOnly?: boolean;
}

/** `this` of a {@link TableFactory}: what SQLite says about the table being created. */
export interface TableFactoryContext {
  /** The module's name, as given to `Database.table()`. */
  module: string;
  /** The schema the table is created in, e.g. `'main'`. */
  database: string;
  /** The name of the table in `CREATE VIRTUAL TABLE <table> USING …`. */
  table: string;
}

/**
 * Makes a table definition for each `CREATE VIRTUAL TABLE t USING name(arg1, arg2)`; receives the
 * module arguments as SQLite gives them (strings, `'arg1'`, `'arg2'`). An exception it throws
 * fails the CREATE VIRTUAL TABLE (or the first use of the table in a later session) unchanged.
 *
 * @example
 * const lines: TableFactory = (file) => ({
 *   columns: ['line'],
 *   *rows() { for (const line of fs.readFileSync(file, 'utf8').split('\n')) yield [line]; },
 * });
 * db.table('lines', lines).exec('CREATE VIRTUAL TABLE notes USING lines(notes.txt)');
 */
export type TableFactory = (this: TableFactoryContext, ...moduleArguments: string[]) => TableDefinition;

/** A table definition that passed every check, with the declaration SQLite is given. */
export interface CheckedTable {
  /** `CREATE TABLE x(...)` for `sqlite3_declare_vtab`: parameters as HIDDEN columns first, then the columns. */
  readonly declaration: string;
  readonly columns: readonly string[];
  /** Column name → position in `columns`, for rows yielded as objects. */
  readonly columnIndex: ReadonlyMap<string, number>;
  readonly parameters: readonly string[];
  readonly rows: (...parameters: unknown[]) => Iterator<unknown>;
  /** Undefined: the database's default at the time the table is connected. */
  readonly safeIntegers: boolean | undefined;
  readonly directOnly: boolean;
}

/** The most parameters a table may have: one bit each in the `idxNum` of a query plan. */
export const MAX_TABLE_PARAMETERS = 32;

const GeneratorFunction = Object.getPrototypeOf(function* () {}) as object;
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list = [...value];
  return list.every((item) => typeof item === 'string') ? list : undefined;
}

/**
 * Checks a table definition (from `Database.table()`, or returned by a {@link TableFactory})
 * and builds its declaration. Mistakes are TypeErrors (RangeErrors for zero columns or more than
 * 32 parameters) worded as better-sqlite3's, naming the module and whether the definition was
 * `'used'` (given to `table()`) or `'returned'` (by a factory).
 *
 * @example
 * checkTableDefinition({ columns: ['x'], *rows() { yield [1]; } }, 'used', 'ones').declaration
 * // 'CREATE TABLE x("x")'
 */
export function checkTableDefinition(definition: unknown, verb: 'used' | 'returned', module: string): CheckedTable {
  const prefix = `Virtual table module "${module}" ${verb} a table definition`;
  const def = definition as Record<string, unknown>;
  if (!Object.hasOwn(def, 'rows')) throw new TypeError(`${prefix} without a "rows" property`);
  if (!Object.hasOwn(def, 'columns')) throw new TypeError(`${prefix} without a "columns" property`);

  const rows = def.rows;
  if (typeof rows !== 'function' || Object.getPrototypeOf(rows) !== GeneratorFunction) {
    throw new TypeError(`${prefix} with an invalid "rows" property (should be a generator function)`);
  }
  const columns = stringList(def.columns);
  if (columns === undefined) {
    throw new TypeError(`${prefix} with an invalid "columns" property (should be an array of strings)`);
  }
  if (new Set(columns).size !== columns.length) throw new TypeError(`${prefix} with duplicate column names`);
  if (columns.length === 0) throw new RangeError(`${prefix} with zero columns`);

  let parameters: string[];
  if (Object.hasOwn(def, 'parameters')) {
    const given = stringList(def.parameters);
    if (given === undefined) {
      throw new TypeError(`${prefix} with an invalid "parameters" property (should be an array of strings)`);
    }
    parameters = given;
  } else {
    parameters = Array.from({ length: functionLength(rows) }, (_, i) => `$${i + 1}`);
  }
  if (new Set(parameters).size !== parameters.length) throw new TypeError(`${prefix} with duplicate parameter names`);
  if (parameters.length > MAX_TABLE_PARAMETERS) {
    throw new RangeError(`${prefix} with more than the maximum number of ${MAX_TABLE_PARAMETERS} parameters`);
  }
  for (const parameter of parameters) {
    if (columns.includes(parameter)) {
      throw new TypeError(
        `${prefix} with column "${parameter}" which was ambiguously defined as both a column and parameter`,
      );
    }
  }

  let safeIntegers: boolean | undefined;
  if (Object.hasOwn(def, 'safeIntegers')) {
    if (typeof def.safeIntegers !== 'boolean') {
      throw new TypeError(`${prefix} with an invalid "safeIntegers" property (should be a boolean)`);
    }
    safeIntegers = def.safeIntegers;
  }
  let directOnly = false;
  if (Object.hasOwn(def, 'directOnly')) {
    if (typeof def.directOnly !== 'boolean') {
      throw new TypeError(`${prefix} with an invalid "directOnly" property (should be a boolean)`);
    }
    directOnly = def.directOnly;
  }

  const declared = [...parameters.map((p) => `${quote(p)} HIDDEN`), ...columns.map(quote)];
  return {
    declaration: `CREATE TABLE x(${declared.join(', ')})`,
    columns,
    columnIndex: new Map(columns.map((name, i) => [name, i])),
    parameters,
    rows: rows as (...parameters: unknown[]) => Iterator<unknown>,
    safeIntegers,
    directOnly,
  };
}
