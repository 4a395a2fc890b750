import { createRequire } from 'node:module';

/** The part of better-sqlite3 (no typings installed) that the compatibility tests use. */
export interface NativeDb {
  exec(sql: string): void;
  prepare(sql: string): {
    run(...params: unknown[]): unknown;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    raw(on?: boolean): { all(...params: unknown[]): unknown[][] };
    pluck(on?: boolean): { get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  };
  pragma(sql: string, options?: { simple?: boolean }): unknown;
  close(): void;
}

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as new (path: string, options?: { readonly?: boolean }) => NativeDb;

/** Opens `path` with better-sqlite3 (native SQLite). */
export function openNative(path: string, options?: { readonly?: boolean }): NativeDb {
  return new Database(path, options);
}
