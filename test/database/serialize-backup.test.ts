import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { open, SqliteError, type Database } from '../../core/index.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { rejection, thrown } from './thrown.ts';

const tmp = useTempDir();

function fill(db: Database, rows: number): void {
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, b BLOB)');
  const insert = db.prepare('INSERT INTO t (s, b) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`row ${i} ${'x'.repeat(i % 200)}`, new Uint8Array([i % 256, 7]));
  })();
}

const rowsOf = (db: Database) => db.prepare('SELECT id, s, hex(b) AS b FROM t ORDER BY id').all();
const integrity = (db: Database) => db.pragma('integrity_check', { simple: true });

describe('db.serialize()', () => {
  it('returns bytes that start with the SQLite header and reopen as a file with the same rows', async () => {
    const db = tmp.track(await open(tmp.file('source.db')));
    fill(db, 500);
    const bytes = db.serialize();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(bytes.subarray(0, 16)).toString('latin1')).toBe('SQLite format 3\0');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    expect(bytes.length % pageSize).toBe(0);
    expect(bytes.length).toBe(pageSize * (db.pragma('page_count', { simple: true }) as number));

    const copy = tmp.file('copy.db');
    fs.writeFileSync(copy, bytes);
    const reopened = tmp.track(await open(copy));
    expect(rowsOf(reopened)).toEqual(rowsOf(db));
    expect(integrity(reopened)).toBe('ok');
  });

  it('includes commits still in the WAL (not yet checkpointed)', async () => {
    const db = tmp.track(await open(tmp.file('source.db')));
    fill(db, 10);
    db.prepare("INSERT INTO t (s) VALUES ('latest')").run();
    const copy = tmp.file('copy.db');
    fs.writeFileSync(copy, db.serialize());
    const reopened = tmp.track(await open(copy));
    expect(reopened.prepare('SELECT s FROM t ORDER BY id DESC LIMIT 1').pluck().get()).toBe('latest');
  });

  it('serializes an in-memory database', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 50);
    const copy = tmp.file('copy.db');
    fs.writeFileSync(copy, db.serialize());
    const reopened = tmp.track(await open(copy));
    expect(rowsOf(reopened)).toEqual(rowsOf(db));
  });

  it('serializes an attached database by its schema name', async () => {
    const db = tmp.track(await open(':memory:'));
    db.exec(`ATTACH '${tmp.file('aux.db')}' AS aux; CREATE TABLE aux.only_here (x); INSERT INTO aux.only_here VALUES (42)`);
    const copy = tmp.file('copy.db');
    fs.writeFileSync(copy, db.serialize('aux'));
    const reopened = tmp.track(await open(copy));
    expect(reopened.prepare('SELECT x FROM only_here').pluck().get()).toBe(42);
  });

  it('rejects an unknown schema name with SQLite\'s error instead of returning no bytes', async () => {
    const db = tmp.track(await open(':memory:'));
    const error = thrown(() => db.serialize('nope'));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.message).toBe('unknown database "nope"');
    expect(db.serialize().length).toBeGreaterThan(0);
  });

  it('returns a copy: later writes do not change bytes already returned', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 5);
    const before = db.serialize();
    const snapshot = Buffer.from(before);
    db.exec('DELETE FROM t');
    expect(Buffer.from(before).equals(snapshot)).toBe(true);
  });
});

describe('db.backup(destination)', () => {
  it('writes a consistent copy with the same rows', async () => {
    const db = tmp.track(await open(tmp.file('source.db')));
    fill(db, 2000);
    const dest = tmp.file('backup.db');
    const result = await db.backup(dest);
    expect(result.remainingPages).toBe(0);
    expect(result.totalPages).toBe(db.pragma('page_count', { simple: true }));
    const copy = tmp.track(await open(dest));
    expect(rowsOf(copy)).toEqual(rowsOf(db));
    expect(integrity(copy)).toBe('ok');
  });

  it('copies an in-memory database to a file', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 100);
    const dest = tmp.file('backup.db');
    await db.backup(dest);
    const copy = tmp.track(await open(dest));
    expect(rowsOf(copy)).toEqual(rowsOf(db));
  });

  it('overwrites an existing database at the destination', async () => {
    const dest = tmp.file('backup.db');
    const old = tmp.track(await open(dest));
    old.exec('CREATE TABLE old_stuff (x); INSERT INTO old_stuff VALUES (1)');
    old.close();
    const db = tmp.track(await open(':memory:'));
    fill(db, 10);
    await db.backup(dest);
    const copy = tmp.track(await open(dest));
    expect(copy.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['t']);
  });

  it('includes writes made through the connection while the backup runs a few pages at a time', async () => {
    const db = tmp.track(await open(tmp.file('source.db')));
    fill(db, 3000);
    const insert = db.prepare('INSERT INTO t (s) VALUES (?)');
    const update = db.prepare("UPDATE t SET s = s || '!' WHERE id = ?");
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      while (!stop) {
        insert.run(`during ${writes}`);
        update.run(1 + (writes % 3000));
        writes++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const dest = tmp.file('backup.db');
    const pageCount = db.pragma('page_count', { simple: true }) as number;
    const backup = db.backup(dest, { pagesPerStep: 1 });
    await backup;
    stop = true;
    await writer;
    expect(pageCount).toBeGreaterThan(20);
    expect(writes).toBeGreaterThan(5);

    const copy = tmp.track(await open(dest));
    expect(integrity(copy)).toBe('ok');
    // Every write made before the backup finished is in the copy; the writer may have made at
    // most one more after it.
    const copied = copy.prepare('SELECT count(*) FROM t').pluck().get() as number;
    const source = db.prepare('SELECT count(*) FROM t').pluck().get() as number;
    expect(source - copied).toBeLessThanOrEqual(1);
    expect(copied).toBeGreaterThan(3000);
    const sourceRows = db.prepare('SELECT id, s FROM t WHERE id <= ? ORDER BY id').all(copied);
    expect(copy.prepare('SELECT id, s FROM t ORDER BY id').all().length).toBe(copied);
    const copyRows = copy.prepare('SELECT id, s FROM t ORDER BY id').all();
    const differing = copyRows.filter((row, i) => JSON.stringify(row) !== JSON.stringify(sourceRows[i]));
    expect(differing.length).toBeLessThanOrEqual(1);
  });

  it('stays consistent when another connection commits during the backup', async () => {
    const file = tmp.file('source.db');
    const db = tmp.track(await open(file));
    fill(db, 3000);
    const other = tmp.track(await open(file));
    const dest = tmp.file('backup.db');
    let writes = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop && writes < 200) {
        other.prepare('INSERT INTO t (s) VALUES (?)').run(`other ${writes++}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await db.backup(dest, { pagesPerStep: 5 });
    stop = true;
    await writer;
    const copy = tmp.track(await open(dest));
    expect(integrity(copy)).toBe('ok');
    const copied = copy.prepare('SELECT count(*) FROM t').pluck().get() as number;
    expect(copied).toBeGreaterThanOrEqual(3000);
    expect(copy.prepare('SELECT id, s FROM t ORDER BY id').all()).toEqual(
      db.prepare('SELECT id, s FROM t WHERE id <= ? ORDER BY id').all(copied),
    );
  });

  it('rejects with SQLITE_CANTOPEN when the destination directory does not exist', async () => {
    const db = tmp.track(await open(':memory:'));
    const error = await rejection(db.backup(tmp.file('missing/backup.db')));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_CANTOPEN/);
    db.exec('CREATE TABLE t (x)');
  });

  it('gives up with SQLITE_BUSY after busyTimeout when the destination stays locked', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 50);
    const dest = tmp.file('locked.db');
    const holder = tmp.track(await open(dest, { journalMode: 'delete' }));
    holder.exec("CREATE TABLE keep (v); INSERT INTO keep VALUES ('mine'); BEGIN EXCLUSIVE");
    const started = Date.now();
    const error = await rejection(db.backup(dest, { busyTimeout: 100 }));
    expect(error).toBeInstanceOf(SqliteError);
    expect(error.code).toMatch(/^SQLITE_BUSY/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    holder.exec('COMMIT');
    expect(holder.prepare('SELECT v FROM keep').pluck().all()).toEqual(['mine']);
  });

  it('rejects bad arguments with a TypeError before writing anything', async () => {
    const db = tmp.track(await open(':memory:'));
    expect(await rejection(db.backup(''))).toBeInstanceOf(TypeError);
    const dest = tmp.file('backup.db');
    const error = await rejection(db.backup(dest, { pagesPerStep: 0 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Expected the "pagesPerStep" option to be a positive integer');
    expect(fs.existsSync(dest)).toBe(false);
  });
});
