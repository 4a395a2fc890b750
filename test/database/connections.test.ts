import { beforeEach, describe, expect, it } from 'vitest';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();
let writer: Database;
let reader: Database;

beforeEach(async () => {
  const file = tmp.file();
  writer = tmp.track(await open(file));
  writer.exec('CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)');
  reader = tmp.track(await open(file, { timeout: 0 }));
});

const count = (db: Database) => db.prepare('SELECT count(*) FROM t').pluck().get();

describe('two connections to one WAL file in one process', () => {
  it('a reader sees each commit of the other connection as soon as it is made', () => {
    expect(count(reader)).toBe(1);
    writer.prepare('INSERT INTO t VALUES (2)').run();
    expect(count(reader)).toBe(2);
    writer.transaction(() => {
      writer.prepare('INSERT INTO t VALUES (3)').run();
      writer.prepare('INSERT INTO t VALUES (4)').run();
    })();
    expect(count(reader)).toBe(4);
  });

  it("a reader never sees another connection's uncommitted writes", () => {
    writer.exec('BEGIN; INSERT INTO t VALUES (2)');
    expect(count(reader)).toBe(1);
    writer.exec('ROLLBACK');
    expect(count(reader)).toBe(1);
  });

  it('a reader keeps its snapshot in a read transaction while the other commits, and sees the new data after', () => {
    reader.exec('BEGIN');
    expect(count(reader)).toBe(1);
    writer.prepare('INSERT INTO t VALUES (2)').run();
    writer.prepare('INSERT INTO t VALUES (3)').run();
    expect(count(writer)).toBe(3);
    expect(count(reader)).toBe(1);
    expect(reader.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
    reader.exec('COMMIT');
    expect(count(reader)).toBe(3);
  });

  it("a reader keeps its snapshot while iterating, across the other's commits", () => {
    writer.exec('INSERT INTO t SELECT x + 1 FROM t; INSERT INTO t SELECT x + 2 FROM t');
    const seen: unknown[] = [];
    for (const x of reader.prepare('SELECT x FROM t ORDER BY rowid').pluck().iterate()) {
      seen.push(x);
      writer.prepare('INSERT INTO t VALUES (100)').run();
    }
    expect(seen).toHaveLength(4);
    expect(count(reader)).toBe(8);
  });

  it('a reader in a snapshot that tries to write after the other committed gets SQLITE_BUSY_SNAPSHOT', () => {
    reader.exec('BEGIN');
    count(reader);
    writer.prepare('INSERT INTO t VALUES (2)').run();
    const error = thrown(() => reader.prepare('INSERT INTO t VALUES (99)').run());
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_BUSY_SNAPSHOT');
    reader.exec('ROLLBACK');
    reader.prepare('INSERT INTO t VALUES (99)').run();
    expect(writer.prepare('SELECT x FROM t ORDER BY x').pluck().all()).toEqual([1, 2, 99]);
  });

  it('only one connection writes at a time: the second gets SQLITE_BUSY until the first commits', () => {
    writer.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (2)');
    const error = thrown(() => reader.exec('INSERT INTO t VALUES (3)'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toBe('SQLITE_BUSY');
    writer.exec('COMMIT');
    reader.exec('INSERT INTO t VALUES (3)');
    expect(count(writer)).toBe(3);
  });

  it('a blocked write waits about `timeout` ms for the lock, then fails with SQLITE_BUSY', async () => {
    const patient = tmp.track(await open(writer.name, { timeout: 250 }));
    writer.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    const error = thrown(() => patient.exec('INSERT INTO t VALUES (2)'));
    const waited = performance.now() - started;
    writer.exec('ROLLBACK');
    expect(error.code).toBe('SQLITE_BUSY');
    expect(waited).toBeGreaterThanOrEqual(200);
    expect(waited).toBeLessThan(5000);
  });

  it('a schema change by one connection is seen by statements the other prepared earlier', () => {
    const star = reader.prepare('SELECT * FROM t');
    expect(star.get()).toEqual({ x: 1 });
    writer.exec("ALTER TABLE t ADD COLUMN y TEXT DEFAULT 'new'");
    expect(star.get()).toEqual({ x: 1, y: 'new' });
  });

  it('a checkpoint by one connection leaves the data intact for the other', () => {
    for (let i = 0; i < 100; i++) writer.prepare('INSERT INTO t VALUES (?)').run(i);
    writer.pragma('wal_checkpoint(TRUNCATE)');
    expect(count(reader)).toBe(101);
    writer.prepare('INSERT INTO t VALUES (-1)').run();
    expect(count(reader)).toBe(102);
  });
});
