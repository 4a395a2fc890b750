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
    db.exec(
      `ATTACH '${tmp.file('aux.db')}' AS aux; CREATE TABLE aux.only_here (x); INSERT INTO aux.only_here VALUES (42)`,
    );
    const copy = tmp.file('copy.db');
    fs.writeFileSync(copy, db.serialize({ attached: 'aux' }));
    const reopened = tmp.track(await open(copy));
    expect(reopened.prepare('SELECT x FROM only_here').pluck().get()).toBe(42);
  });

  it("rejects an unknown schema name with SQLite's error instead of returning no bytes", async () => {
    const db = tmp.track(await open(':memory:'));
    const error = thrown(() => db.serialize({ attached: 'nope' }));
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

  it("rejects with better-sqlite3's TypeError when the destination directory does not exist", async () => {
    const db = tmp.track(await open(':memory:'));
    const error = await rejection(db.backup(tmp.file('missing/backup.db')));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Cannot save backup because the directory does not exist');
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

  it('refuses a blank or ":memory:" destination, creating no file of that name in the working directory', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 10);
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      for (const [destination, message] of [
        [' ', 'Backup filename cannot be an empty string'],
        [' \t\n ', 'Backup filename cannot be an empty string'],
        [':memory:', 'Invalid backup filename ":memory:"'],
      ]) {
        const error = await rejection(db.backup(destination!));
        expect(error).toBeInstanceOf(TypeError);
        expect(error.message).toBe(message);
      }
      expect(fs.readdirSync(tmp.dir)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('creates nothing before the returned promise first yields', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 10);
    const dest = tmp.file('later.db');
    const pending = db.backup(dest);
    expect(fs.existsSync(dest)).toBe(false);
    await pending;
    expect(fs.existsSync(dest)).toBe(true);
  });

  it('copies an attached database with { attached }', async () => {
    const source = tmp.file('source.db');
    const filled = await open(source);
    fill(filled, 50);
    const expected = rowsOf(filled);
    filled.close();
    const db = tmp.track(await open(':memory:'));
    db.prepare('ATTACH ? AS cool').run(source);
    const dest = tmp.file('copy.db');
    const result = await db.backup(dest, { attached: 'cool' });
    expect(result.remainingPages).toBe(0);
    const copy = tmp.track(await open(dest));
    expect(rowsOf(copy)).toEqual(expected);
    expect(await rejection(db.backup(tmp.file('x.db'), { attached: '' }))).toBeInstanceOf(TypeError);
  });

  it("reports progress after each step and takes its return value as the next step's size, 0 pausing", async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 300);
    const total = db.pragma('page_count', { simple: true }) as number;
    const reports: Array<{ totalPages: number; remainingPages: number }> = [];
    let size = 0;
    const done = db.backup(tmp.file('copy.db'), {
      progress(state) {
        reports.push(state);
        return size;
      },
    });
    while (reports.length < 3) await new Promise((r) => setImmediate(r));
    // The first step copies nothing; a 0 answer keeps it paused.
    expect(reports.every((r) => r.remainingPages === total)).toBe(true);
    size = 2;
    while (reports.length < 5) await new Promise((r) => setImmediate(r));
    expect(reports.at(-1)!.remainingPages).toBeLessThan(total);
    size = 1_000_000;
    expect(await done).toEqual({ totalPages: total, remainingPages: 0 });
  });

  it('aborts when progress throws or returns a non-number, and deletes the file it created', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 300);
    const dest = tmp.file('aborted.db');
    let calls = 0;
    const oops = new SyntaxError('stop');
    const aborted = await rejection(
      db.backup(dest, {
        progress: () =>
          ++calls === 3
            ? (() => {
                throw oops;
              })()
            : 1,
      }),
    );
    expect(aborted).toBe(oops);
    expect(fs.existsSync(dest)).toBe(false);
    const wrong = await rejection(db.backup(dest, { progress: () => '5' as never }));
    expect(wrong).toBeInstanceOf(TypeError);
    expect(wrong.message).toBe('Expected progress callback to return a number or undefined');
    expect(fs.existsSync(dest)).toBe(false);
  });

  it('rejects with a TypeError when the connection closes during the backup', async () => {
    const db = await open(':memory:');
    fill(db, 300);
    const dest = tmp.file('closed.db');
    const pending = db.backup(dest, { progress: () => 1 });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    db.close();
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(TypeError);
    expect(fs.existsSync(dest)).toBe(false);
  });
});

describe('db.serialize({ attached })', () => {
  it('returns a Buffer, of main by default and of an attached database by name', async () => {
    const db = tmp.track(await open(':memory:'));
    fill(db, 5);
    const aux = tmp.file('aux.db');
    db.prepare('ATTACH ? AS aux').run(aux);
    db.exec('CREATE TABLE aux.other (y)');
    const main = db.serialize();
    const attached = db.serialize({ attached: 'aux' });
    expect(Buffer.isBuffer(main)).toBe(true);
    expect(Buffer.isBuffer(attached)).toBe(true);
    fs.writeFileSync(tmp.file('copy.db'), attached);
    const copy = tmp.track(await open(tmp.file('copy.db')));
    expect(copy.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all()).toEqual(['other']);
    for (const bad of [{ attached: '' }, { attached: 5 }, 'main']) {
      expect(() => db.serialize(bad as never)).toThrow(TypeError);
    }
  });
});
