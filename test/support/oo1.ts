import type { Engine } from '../../core/sqlite3/engine.ts';
import {
  SQLITE_DONE,
  SQLITE_OK,
  SQLITE_OPEN_CREATE,
  SQLITE_OPEN_EXRESCODE,
  SQLITE_OPEN_READONLY,
  SQLITE_OPEN_READWRITE,
  SQLITE_ROW,
  SQLITE_UTF8,
} from '../../core/sqlite3/constants.ts';
import { bindValue, readColumnBigInt, setResult } from '../../core/sqlite3/values.ts';

/**
 * A bare connection for the VFS tests, shaped like sqlite-wasm's `oo1.DB`: it opens with the
 * given VFS and flags and nothing else (no pragmas, no busy timeout, SQLite's own defaults), so
 * the tests see the VFS as SQLite sees it, without `Database`'s choices in between.
 */
export interface Oo1Db {
  /** Runs every statement of `sql`; `bind` goes to the first statement that has parameters. */
  exec(sql: string, options?: { bind?: unknown[] }): void;
  selectValue(sql: string, bind?: unknown[]): unknown;
  selectValues(sql: string, bind?: unknown[]): unknown[];
  selectArrays(sql: string, bind?: unknown[]): unknown[][];
  selectObjects(sql: string, bind?: unknown[]): Record<string, unknown>[];
  /** Registers a scalar SQL function of no arguments. */
  createFunction(name: string, fn: () => unknown): void;
  close(): void;
  readonly pointer: number;
}

/** An error of an {@link Oo1Db}, with SQLite's (extended) result code. */
export interface Oo1Error extends Error {
  resultCode: number;
}

/**
 * Opens `path` through the VFS named `vfs` on the raw engine: flags `'c'` create/read/write,
 * `'w'` read/write, `'r'` read-only; extended result codes on.
 */
export function openDb(engine: Engine, path: string, vfs: string, flags = 'c'): Oo1Db {
  const e = engine;
  const x = e.x;
  let open = 0;
  if (flags.includes('c')) open |= SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE;
  if (flags.includes('w')) open |= SQLITE_OPEN_READWRITE;
  if (open === 0) open = SQLITE_OPEN_READONLY;
  const name = e.allocCString(path);
  const vfsName = e.allocCString(vfs);
  let db = 0;
  try {
    const rc = x.sqlite3_open_v2(name, e.out, open | SQLITE_OPEN_EXRESCODE, vfsName);
    db = e.dv.getUint32(e.out, true);
    if (rc !== SQLITE_OK) {
      const error = failure(e, db, rc);
      if (db !== 0) x.sqlite3_close_v2(db);
      throw error;
    }
    x.sqlite3_extended_result_codes(db, 1);
  } finally {
    x.sqlite3_free(name);
    x.sqlite3_free(vfsName);
  }

  /** Runs each statement of `sql`, giving every result row (as column names and values) to `row`. */
  const run = (sql: string, bind: unknown[] | undefined, row?: (names: string[], values: unknown[]) => void): void => {
    const text = e.allocCString(sql);
    const end = text + Buffer.byteLength(sql);
    let tail = text;
    let pending = bind;
    try {
      while (tail < end) {
        const rc = x.sqlite3_prepare_v3(db, tail, end - tail, 0, e.out, e.out + 4);
        if (rc !== SQLITE_OK) throw failure(e, db, rc);
        const stmt = e.dv.getUint32(e.out, true);
        tail = e.dv.getUint32(e.out + 4, true);
        if (stmt === 0) continue;
        try {
          if (pending !== undefined && x.sqlite3_bind_parameter_count(stmt) > 0) {
            pending.forEach((value, i) => {
              const bound = bindValue(e, stmt, i + 1, value, i + 1);
              if (bound !== SQLITE_OK) throw failure(e, db, bound);
            });
            pending = undefined;
          }
          const columns = x.sqlite3_column_count(stmt);
          const names = Array.from({ length: columns }, (_, i) => e.cstring(x.sqlite3_column_name(stmt, i))!);
          for (;;) {
            const step = x.sqlite3_step(stmt);
            if (step !== SQLITE_ROW) {
              if (step !== SQLITE_DONE) throw failure(e, db, step);
              break;
            }
            row?.(
              names,
              Array.from({ length: columns }, (_, i) => oo1Value(readColumnBigInt(e, stmt, i))),
            );
          }
        } finally {
          x.sqlite3_finalize(stmt);
        }
      }
    } finally {
      x.sqlite3_free(text);
    }
  };
  const rows = (sql: string, bind?: unknown[]) => {
    const all: { names: string[]; values: unknown[] }[] = [];
    run(sql, bind, (names, values) => all.push({ names, values }));
    return all;
  };
  const functions: number[] = [];
  return {
    get pointer() {
      return db;
    },
    exec: (sql, options) => run(sql, options?.bind),
    selectValue: (sql, bind) => rows(sql, bind)[0]?.values[0],
    selectValues: (sql, bind) => rows(sql, bind).map((r) => r.values[0]),
    selectArrays: (sql, bind) => rows(sql, bind).map((r) => r.values),
    selectObjects: (sql, bind) =>
      rows(sql, bind).map((r) => Object.fromEntries(r.names.map((n, i) => [n, r.values[i]]))),
    createFunction(name, fn) {
      const ptr = e.installFunction(
        ((ctx: number) => setResult(e, ctx, fn())) as (...args: never[]) => unknown,
        'v(pip)',
      );
      functions.push(ptr);
      const rc = x.sqlite3_create_function_v2(db, e.cstr(name), 0, SQLITE_UTF8, 0, ptr, 0, 0, 0);
      if (rc !== SQLITE_OK) throw failure(e, db, rc);
    },
    close() {
      if (db !== 0) x.sqlite3_close_v2(db);
      db = 0;
      for (const ptr of functions.splice(0)) e.uninstallFunction(ptr);
    },
  };
}

/** As oo1: integers as numbers when they are safe, else bigints. */
function oo1Value(value: unknown): unknown {
  if (typeof value === 'bigint' && value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER)
    return Number(value);
  return value;
}

function failure(e: Engine, db: number, rc: number): Oo1Error {
  const message = db === 0 ? e.cstring(e.x.sqlite3_errstr(rc)) : e.cstring(e.x.sqlite3_errmsg(db));
  return Object.assign(new Error(`sqlite3 result code ${rc}: ${message}`), { resultCode: rc });
}

/** Runs `fn` and returns the SQLite result code it failed with (throws if it did not fail). */
export function resultCodeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    const rc = (error as Partial<Oo1Error>).resultCode;
    if (typeof rc === 'number') return rc;
    throw error;
  }
  throw new Error('expected an SQLite error');
}
