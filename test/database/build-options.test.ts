// What the official SQLite WebAssembly build has compiled in (README "Build options"): the list is
// pinned, so an engine upgrade that changes it fails here and the README gets updated with it; and
// each feature better-sqlite3 has and this build lacks fails with the error the README quotes.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { openNative } from '../support/better-sqlite3.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection, thrown } from './thrown.ts';

/** `PRAGMA compile_options` of @sqlite.org/sqlite-wasm 3.54.1-build1, without its COMPILER= entry. */
const COMPILE_OPTIONS = [
  'ATOMIC_INTRINSICS=1',
  'DEFAULT_AUTOVACUUM',
  'DEFAULT_CACHE_SIZE=-16384',
  'DEFAULT_FILE_FORMAT=4',
  'DEFAULT_JOURNAL_SIZE_LIMIT=-1',
  'DEFAULT_MMAP_SIZE=0',
  'DEFAULT_PAGE_SIZE=8192',
  'DEFAULT_PCACHE_INITSZ=20',
  'DEFAULT_RECURSIVE_TRIGGERS',
  'DEFAULT_SECTOR_SIZE=4096',
  'DEFAULT_SYNCHRONOUS=2',
  'DEFAULT_WAL_AUTOCHECKPOINT=1000',
  'DEFAULT_WAL_SYNCHRONOUS=2',
  'DEFAULT_WORKER_THREADS=0',
  'DIRECT_OVERFLOW_READ',
  'DQS=0',
  'ENABLE_API_ARMOR',
  'ENABLE_BYTECODE_VTAB',
  'ENABLE_COLUMN_METADATA',
  'ENABLE_DBPAGE_VTAB',
  'ENABLE_DBSTAT_VTAB',
  'ENABLE_FTS5',
  'ENABLE_MATH_FUNCTIONS',
  'ENABLE_OFFSET_SQL_FUNC',
  'ENABLE_PERCENTILE',
  'ENABLE_PREUPDATE_HOOK',
  'ENABLE_RTREE',
  'ENABLE_SESSION',
  'ENABLE_STMTVTAB',
  'ENABLE_UNKNOWN_SQL_FUNCTION',
  'MALLOC_SOFT_LIMIT=1024',
  'MAX_ATTACHED=10',
  'MAX_COLUMN=2000',
  'MAX_COMPOUND_SELECT=500',
  'MAX_DEFAULT_PAGE_SIZE=8192',
  'MAX_EXPR_DEPTH=1000',
  'MAX_FUNCTION_ARG=1000',
  'MAX_LENGTH=1000000000',
  'MAX_LIKE_PATTERN_LENGTH=50000',
  'MAX_MMAP_SIZE=0',
  'MAX_PAGE_COUNT=0xfffffffe',
  'MAX_PAGE_SIZE=65536',
  'MAX_SCHEMA=10000000',
  'MAX_SQL_LENGTH=1000000000',
  'MAX_TRIGGER_DEPTH=1000',
  'MAX_VARIABLE_NUMBER=32766',
  'MAX_VDBE_OP=250000000',
  'MAX_WORKER_THREADS=0',
  'MUTEX_OMIT',
  'OMIT_DEPRECATED',
  'OMIT_LOAD_EXTENSION',
  'OMIT_SHARED_CACHE',
  'OMIT_UTF16',
  'STRICT_SUBTYPE',
  'SYSTEM_MALLOC',
  'TEMP_STORE=2',
  'THREADSAFE=0',
  'USE_URI',
];

describe('build options', () => {
  let db: Database;
  beforeEach(async () => {
    db = await open(':memory:');
    db.exec('CREATE TABLE t (x)');
  });
  afterEach(() => db.close());

  const compileOptions = () => db.prepare('PRAGMA compile_options').pluck().all() as string[];
  const errorOf = (sql: string) => {
    const error = thrown(() => db.exec(sql));
    return error instanceof SqliteError ? `${error.code}: ${error.message}` : error;
  };

  it('has exactly the compile options the README lists', () => {
    const options = compileOptions();
    expect(options.filter((o) => !o.startsWith('COMPILER='))).toEqual(COMPILE_OPTIONS);
    expect(options.filter((o) => o.startsWith('COMPILER='))).toHaveLength(1);
  });

  it('lacks what better-sqlite3 compiles in, each failing with the error the README quotes', () => {
    expect(errorOf('DELETE FROM t ORDER BY x LIMIT 1')).toBe('SQLITE_ERROR: near "ORDER": syntax error');
    expect(errorOf('UPDATE t SET x = 1 LIMIT 1')).toBe('SQLITE_ERROR: near "LIMIT": syntax error');
    expect(errorOf('CREATE VIRTUAL TABLE docs USING fts4(body)')).toBe('SQLITE_ERROR: no such module: fts4');
    expect(errorOf('CREATE VIRTUAL TABLE docs USING fts3(body)')).toBe('SQLITE_ERROR: no such module: fts3');
    expect(errorOf('CREATE VIRTUAL TABLE shapes USING geopoly()')).toBe('SQLITE_ERROR: no such module: geopoly');
    expect(errorOf("SELECT geopoly_area('[[0,0],[1,0],[0,1],[0,0]]')")).toBe(
      'SQLITE_ERROR: no such function: geopoly_area',
    );
    expect(errorOf("SELECT soundex('Robert')")).toBe('SQLITE_ERROR: no such function: soundex');
    // Without STAT4, ANALYZE works and keeps only sqlite_stat1: nothing fails, plans use fewer statistics.
    db.exec('CREATE INDEX t_x ON t (x); INSERT INTO t VALUES (1), (2); ANALYZE');
    expect(db.prepare('SELECT count(*) FROM sqlite_stat1').pluck().get()).toBe(1);
    expect(errorOf('SELECT * FROM sqlite_stat4')).toBe('SQLITE_ERROR: no such table: sqlite_stat4');
  });

  it('answers differently from better-sqlite3 where only an option differs, not an error', () => {
    const native = openNative(':memory:');
    try {
      // SQLITE_LIKE_DOESNT_MATCH_BLOBS in better-sqlite3 only.
      expect(db.prepare("SELECT x'41' LIKE 'A'").pluck().get()).toBe(1);
      expect(native.prepare("SELECT x'41' LIKE 'A'").pluck().get()).toBe(0);
      // SQLITE_MAX_MMAP_SIZE=0: memory-mapped I/O cannot be turned on.
      expect(db.pragma('mmap_size = 1000000', { simple: true })).toBe(0);
    } finally {
      native.close();
    }
  });

  describe('a UTF-16 database file (SQLITE_OMIT_UTF16)', () => {
    const temp = useTempDir();

    it('is refused by open() as SQLITE_CORRUPT: wasmlite reads and writes UTF-8 databases only', async () => {
      const file = path.join(temp.dir, 'utf16.db');
      const native = openNative(file);
      native.pragma("encoding = 'UTF-16le'");
      native.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('hé')");
      native.close();
      const error = await rejection(open(file));
      expect(error).toBeInstanceOf(SqliteError);
      const { code, message } = error as SqliteError;
      expect(`${code}: ${message}`).toBe('SQLITE_CORRUPT: malformed database schema (t)');
    });

    it('cannot be made: PRAGMA encoding reports nothing and setting it leaves a new file UTF-8', async () => {
      const file = path.join(temp.dir, 'new.db');
      const fresh = await open(file);
      expect(fresh.pragma('encoding')).toEqual([]);
      fresh.exec("PRAGMA encoding = 'UTF-16le'; CREATE TABLE t (x)");
      fresh.close();
      const native = openNative(file);
      try {
        expect(native.pragma('encoding', { simple: true })).toBe('UTF-8');
      } finally {
        native.close();
      }
    });
  });
});
