import type { Engine } from '../../core/sqlite3/engine.ts';

/** The part of sqlite-wasm's `oo1.DB` the tests use (until core/database is the way in). */
export interface Oo1Db {
  exec(sql: string, options?: { bind?: unknown[] }): void;
  selectValue(sql: string, bind?: unknown[]): unknown;
  selectValues(sql: string, bind?: unknown[]): unknown[];
  selectArrays(sql: string, bind?: unknown[]): unknown[][];
  selectObjects(sql: string, bind?: unknown[]): Record<string, unknown>[];
  close(): void;
  readonly pointer: number;
}

/** An error thrown by oo1, with SQLite's (extended) result code. */
export interface Oo1Error extends Error {
  resultCode: number;
}

/**
 * Opens `path` through the VFS named `vfs` with sqlite-wasm's own `oo1` API: flags `'c'`
 * create/read/write, `'w'` read/write, `'r'` read-only.
 */
export function openDb(engine: Engine, path: string, vfs: string, flags = 'c'): Oo1Db {
  const module = engine.module as unknown as { oo1: { DB: new (o: object) => Oo1Db }; config: { warn: unknown } };
  // oo1 logs every failed step; the tests expect failures and check them.
  module.config.warn = () => {};
  return new module.oo1.DB({ filename: path, flags, vfs });
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
