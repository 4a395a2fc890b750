import type { Row, Value } from './types.ts';

/**
 * The base of every result row: holds the row's values in column order (read by index through
 * the getters each row class defines, and by {@link rowValues}).
 */
class LibsqlRow {
  readonly #values: Value[];

  constructor(values: Value[]) {
    this.#values = values;
  }

  /** The values in column order: `const [count] = rs.rows[0]` works as it did when rows were arrays. */
  [Symbol.iterator](): IterableIterator<Value> {
    return this.#values[Symbol.iterator]();
  }

  static valuesOf(row: object): Value[] | undefined {
    return #values in row ? (row as LibsqlRow).#values : undefined;
  }
}

/**
 * The names that a row has as properties: not `length`, not an array index,
 * not `__proto__` (assigning it would replace the row's prototype), and each name once (the
 * first column with that name wins, as in @libsql/client).
 */
function rowPropertyNames(columns: readonly string[]): Array<[index: number, name: string]> {
  const seen = new Set<string>();
  const out: Array<[number, string]> = [];
  columns.forEach((name, i) => {
    if (name === 'length' || name === '__proto__' || /^(0|[1-9]\d*)$/.test(name) || seen.has(name)) return;
    seen.add(name);
    out.push([i, name]);
  });
  return out;
}

/**
 * Shapes raw value arrays (owned by the caller from now on) as rows for `columns`.
 *
 * @example
 * shapeRows([[1, 'a']], ['id', 'name'])[0].name; // 'a'
 */
export function shapeRows(values: Value[][], columns: readonly string[]): Row[] {
  const make = rowMaker(columns);
  const rows = new Array<Row>(values.length);
  for (let i = 0; i < values.length; i++) rows[i] = make(values[i]!);
  return rows;
}

/** Builds one row object from its values. */
export type RowMaker = (values: Value[]) => Row;

const MAKERS_KEPT = 512;
const makers = new Map<string, RowMaker>();

/**
 * The function that shapes rows for `columns` as @libsql/client shapes them: an object whose own
 * enumerable properties are the column names (the first column with a name wins; a name that is
 * an index, `length` or `__proto__` is left out), with `length` and the indices readable but not
 * enumerable, so `row[0]`, `row.id`, `Array.from(row)` work and `JSON.stringify(row)` and
 * `Object.entries(row)` give the named columns only. Rows are also iterable over their values
 * (libSQL's are not; nothing that works there breaks). One class is compiled per column list (its
 * named properties set in one constructor, so every row of a result shares a hidden class), and
 * kept for the next result with the same columns.
 *
 * @example
 * const make = rowMaker(['id', 'name']);
 * JSON.stringify(make([1, 'a'])); // '{"id":1,"name":"a"}'
 */
export function rowMaker(columns: readonly string[]): RowMaker {
  const key = JSON.stringify(columns);
  let maker = makers.get(key);
  if (maker === undefined) {
    maker = compile(columns);
    makers.set(key, maker);
    if (makers.size > MAKERS_KEPT) makers.delete(makers.keys().next().value!);
  }
  return maker;
}

function compile(columns: readonly string[]): RowMaker {
  const assignments = rowPropertyNames(columns)
    .map(([i, name]) => `this[${JSON.stringify(name)}] = v[${i}];`)
    .join('\n');
  const getters = columns.map((_, i) => `get ${i}() { return valuesOf(this)[${i}]; }`).join('\n');
  // Generated from the column list only through JSON.stringify'd names and integer indices.
  const RowClass = new Function(
    'Base',
    'valuesOf',
    `return class Row extends Base {
    constructor(v) { super(v); ${assignments} }
    get length() { return ${columns.length}; }
    ${getters}
  };`,
  )(LibsqlRow, LibsqlRow.valuesOf) as new (values: Value[]) => Row;
  return (values) => new RowClass(values);
}

/**
 * The values of a row a `Client` returned, in column order, as an array the caller may keep (the
 * row's own, not a copy): for adapters that map rows by position and want no per-cell getter.
 * Any other array-like is copied.
 *
 * @example
 * rowValues(rs.rows[0]); // [1, 'a']
 */
export function rowValues(row: Row): Value[] {
  return LibsqlRow.valuesOf(row) ?? Array.from(row);
}
