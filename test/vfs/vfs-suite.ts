import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SQLITE_BUSY,
  SQLITE_CANTOPEN,
  SQLITE_CANTOPEN_ISDIR,
  SQLITE_FULL,
  SQLITE_NOTADB,
  SQLITE_READONLY,
} from '../../core/sqlite3/constants.ts';
import { takeVfsError } from '../../core/vfs/vfs-error.ts';
import { FaultyFilesystem } from '../support/faulty-filesystem.ts';
import { openDb, resultCodeOf, type Oo1Db } from '../support/oo1.ts';
import type { VfsHarness } from '../support/vfs-harness.ts';

/** A subquery yielding `value` = 1…n (this SQLite build has no generate_series). */
function series(n: number): string {
  return (
    `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT ` +
    `value FROM s)`
  );
}

const JOURNAL_MODES = ['delete', 'truncate', 'persist', 'memory', 'off', 'wal'] as const;

/**
 * The behaviour every wasmlite VFS must have, run against each implementation
 * (`node-fs-vfs.test.ts`, `memory-vfs.test.ts`).
 */
export function vfsSuite(name: string, makeHarness: () => Promise<VfsHarness>): void {
  describe(name, () => {
    let h: VfsHarness;
    let open: Oo1Db[];

    /** Opens a connection that afterEach closes. */
    function db(file: string, flags = 'c'): Oo1Db {
      const d = openDb(h.engine, h.path(file), h.vfs.name, flags);
      open.push(d);
      return d;
    }

    function close(d: Oo1Db): void {
      open.splice(open.indexOf(d), 1);
      d.close();
    }

    beforeEach(async () => {
      h = await makeHarness();
      open = [];
      takeVfsError();
    });

    afterEach(() => {
      for (const d of open.reverse()) d.close();
      expect(h.vfs.openFileCount).toBe(0);
      h.cleanup();
    });

    it('creates a database, writes it and reads it back after reopening', () => {
      const a = db('a.db');
      a.exec(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB); INSERT INTO t VALUES (1, 'één', " +
          "x'00ff'), (2, '二', randomblob(5000))",
      );
      close(a);
      expect(h.list()).toEqual(['a.db']);
      const b = db('a.db', 'w');
      expect(b.selectArrays('SELECT id, name, length(data) FROM t ORDER BY id')).toEqual([
        [1, 'één', 2],
        [2, '二', 5000],
      ]);
      expect(b.selectValue('PRAGMA integrity_check')).toBe('ok');
    });

    for (const mode of JOURNAL_MODES) {
      it(`commits, rolls back and stays consistent in ${mode.toUpperCase()} journal mode`, () => {
        const a = db('j.db');
        expect(a.selectValue(`PRAGMA journal_mode = ${mode}`)).toBe(mode);
        a.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v)');
        a.exec(`BEGIN; INSERT INTO t (v) SELECT 'row ' || value FROM ${series(500)}; COMMIT`);
        a.exec(
          "BEGIN; UPDATE t SET v = 'changed'; DELETE FROM t WHERE id > 100; INSERT INTO t (v) VALUES ('new'); ROLLBACK",
        );
        expect(a.selectValue('SELECT count(*) FROM t')).toBe(500);
        expect(a.selectValue("SELECT count(*) FROM t WHERE v = 'changed'")).toBe(0);
        a.exec("UPDATE t SET v = v || '!' WHERE id % 2 = 0");
        expect(a.selectValue('PRAGMA integrity_check')).toBe('ok');
        close(a);
        const b = db('j.db', 'w');
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(500);
        expect(b.selectValue("SELECT count(*) FROM t WHERE v LIKE '%!'")).toBe(250);
        expect(b.selectValue('PRAGMA integrity_check')).toBe('ok');
        expect(b.selectValue('PRAGMA journal_mode')).toBe(mode === 'wal' ? 'wal' : 'delete');
        close(b);
        // Nothing but the database (and a persisted, empty or invalidated journal) stays behind.
        const left = h.list().filter((f) => !f.endsWith('-wasmlite-owner'));
        expect(left.filter((f) => f !== 'j.db' && f !== 'j.db-journal')).toEqual([]);
      });
    }

    describe('in WAL mode with two connections', () => {
      it('keeps a reader on its snapshot while a writer commits, then shows the new data', () => {
        const w = db('w.db');
        w.exec("PRAGMA journal_mode = wal; CREATE TABLE t (v); INSERT INTO t VALUES ('a')");
        const r = db('w.db');
        r.exec('BEGIN');
        expect(r.selectValue('SELECT count(*) FROM t')).toBe(1);
        w.exec("INSERT INTO t VALUES ('b'); INSERT INTO t VALUES ('c')");
        expect(r.selectValue('SELECT count(*) FROM t')).toBe(1);
        expect(w.selectValue('SELECT count(*) FROM t')).toBe(3);
        // A checkpoint cannot pass the reader's snapshot...
        const [busy] = w.selectArrays('PRAGMA wal_checkpoint(TRUNCATE)')[0]!;
        expect(busy).toBe(1);
        r.exec('COMMIT');
        expect(r.selectValue('SELECT count(*) FROM t')).toBe(3);
        // ...and completes once it is gone.
        expect(w.selectArrays('PRAGMA wal_checkpoint(TRUNCATE)')[0]).toEqual([0, 0, 0]);
        expect(h.readFile(h.path('w.db-wal')).length).toBe(0);
        w.exec("INSERT INTO t VALUES ('d')");
        close(r);
        close(w);
        expect(h.exists(h.path('w.db-wal'))).toBe(false);
        const again = db('w.db');
        expect(again.selectValues('SELECT v FROM t ORDER BY v')).toEqual(['a', 'b', 'c', 'd']);
        expect(again.selectValue('PRAGMA integrity_check')).toBe('ok');
      });

      it('lets only one connection write at a time', () => {
        const a = db('w.db');
        a.exec('PRAGMA journal_mode = wal; CREATE TABLE t (v)');
        const b = db('w.db');
        a.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
        expect(resultCodeOf(() => b.exec('BEGIN IMMEDIATE'))).toBe(SQLITE_BUSY);
        expect(takeVfsError()).toBeUndefined();
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(0);
        a.exec('COMMIT');
        b.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (2); COMMIT');
        expect(a.selectValue('SELECT count(*) FROM t')).toBe(2);
      });

      it('rebuilds the wal-index from a WAL left behind by a crashed process', () => {
        const a = db('w.db');
        a.exec('PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v)');
        a.exec(`INSERT INTO t SELECT value FROM ${series(1000)}`);
        // Copy the files as a crash would leave them: committed frames only in the WAL.
        h.writeFile(h.path('copy.db'), h.readFile(h.path('w.db')));
        h.writeFile(h.path('copy.db-wal'), h.readFile(h.path('w.db-wal')));
        const b = db('copy.db');
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(1000);
        expect(b.selectValue('PRAGMA integrity_check')).toBe('ok');
      });
    });

    describe('in rollback-journal mode between connections', () => {
      it('gives the second writer SQLITE_BUSY', () => {
        const a = db('r.db');
        a.exec('CREATE TABLE t (v)');
        const b = db('r.db');
        a.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
        expect(resultCodeOf(() => b.exec('BEGIN IMMEDIATE'))).toBe(SQLITE_BUSY);
        expect(resultCodeOf(() => b.exec('INSERT INTO t VALUES (2)'))).toBe(SQLITE_BUSY);
        a.exec('COMMIT');
        b.exec('INSERT INTO t VALUES (2)');
        expect(a.selectValues('SELECT v FROM t ORDER BY v')).toEqual([1, 2]);
      });

      it('lets a reader read the last commit while a write transaction is open', () => {
        const a = db('r.db');
        a.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1)');
        const b = db('r.db');
        a.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (2)');
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(1);
        a.exec('COMMIT');
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(2);
      });

      it('keeps new readers out while a writer waits for PENDING to become EXCLUSIVE', () => {
        const w = db('r.db');
        w.exec('CREATE TABLE t (v); INSERT INTO t VALUES (1)');
        const reader = db('r.db');
        const late = db('r.db');
        reader.exec('BEGIN');
        expect(reader.selectValue('SELECT count(*) FROM t')).toBe(1);
        w.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (2)');
        // The writer cannot get EXCLUSIVE while the reader holds SHARED; it keeps PENDING...
        expect(resultCodeOf(() => w.exec('COMMIT'))).toBe(SQLITE_BUSY);
        // ...so a new reader is refused, while the old one goes on reading.
        expect(resultCodeOf(() => late.selectValue('SELECT count(*) FROM t'))).toBe(SQLITE_BUSY);
        expect(reader.selectValue('SELECT count(*) FROM t')).toBe(1);
        reader.exec('COMMIT');
        w.exec('COMMIT');
        expect(late.selectValue('SELECT count(*) FROM t')).toBe(2);
        expect(late.selectValue('PRAGMA integrity_check')).toBe('ok');
      });

      it('waits for busy_timeout before giving up with SQLITE_BUSY', () => {
        const a = db('r.db');
        a.exec('CREATE TABLE t (v)');
        const b = db('r.db');
        b.exec('PRAGMA busy_timeout = 300');
        a.exec('BEGIN IMMEDIATE');
        const started = performance.now();
        expect(resultCodeOf(() => b.exec('BEGIN IMMEDIATE'))).toBe(SQLITE_BUSY);
        expect(performance.now() - started).toBeGreaterThanOrEqual(295);
        a.exec('ROLLBACK');
      });

      it('rolls back a hot journal left behind by an interrupted transaction', () => {
        const a = db('r.db');
        a.exec(`PRAGMA cache_size = 10; CREATE TABLE t (v); INSERT INTO t SELECT randomblob(1000) FROM ${series(500)}`);
        const before = a.selectValue('SELECT sum(length(v)) + count(*) FROM t');
        // Big enough to spill the cache: the database file holds uncommitted pages.
        a.exec(`BEGIN; UPDATE t SET v = randomblob(900); INSERT INTO t SELECT randomblob(1000) FROM ${series(500)}`);
        h.writeFile(h.path('copy.db'), h.readFile(h.path('r.db')));
        h.writeFile(h.path('copy.db-journal'), h.readFile(h.path('r.db-journal')));
        a.exec('ROLLBACK');
        const b = db('copy.db');
        expect(b.selectValue('SELECT sum(length(v)) + count(*) FROM t')).toBe(before);
        expect(b.selectValue('PRAGMA integrity_check')).toBe('ok');
        expect(h.exists(h.path('copy.db-journal'))).toBe(false);
      });
    });

    describe('file sizes seen by another connection', () => {
      /** The same database through both connections: rows, page count and a clean integrity check. */
      function expectSame(a: Oo1Db, b: Oo1Db, rows: number): void {
        for (const d of [a, b]) {
          expect(d.selectValue('SELECT count(*) FROM t')).toBe(rows);
          expect(d.selectValue('PRAGMA integrity_check')).toBe('ok');
        }
        expect(b.selectValue('PRAGMA page_count')).toBe(a.selectValue('PRAGMA page_count'));
      }

      for (const mode of ['delete', 'truncate', 'persist', 'wal'] as const) {
        it(`sees the other's growth, rollbacks and VACUUM shrinking in ${mode.toUpperCase()} mode`, () => {
          const a = db('s.db');
          a.exec(
            `PRAGMA journal_mode = ${mode}; PRAGMA cache_size = 10; CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)`,
          );
          const b = db('s.db');
          b.exec('PRAGMA cache_size = 10');
          expectSame(a, b, 0);
          // Spilling transactions (tiny caches) write the files before they commit or roll back.
          a.exec(`INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(400)}`);
          expectSame(a, b, 400);
          b.exec(`BEGIN; INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(300)}; ROLLBACK`);
          expectSame(a, b, 400);
          b.exec(`INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(300)}`);
          expectSame(a, b, 700);
          a.exec('DELETE FROM t WHERE id > 50');
          if (mode === 'wal') a.exec('PRAGMA wal_checkpoint(TRUNCATE)');
          const before = h.readFile(h.path('s.db')).length;
          b.exec('VACUUM');
          if (mode === 'wal') a.exec('PRAGMA wal_checkpoint(TRUNCATE)');
          expect(h.readFile(h.path('s.db')).length).toBeLessThan(before / 4);
          expectSame(a, b, 50);
          a.exec(`INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(100)}`);
          expectSame(a, b, 150);
          close(a);
          close(b);
          const again = db('s.db');
          expect(again.selectValue('SELECT count(*) FROM t')).toBe(150);
          expect(again.selectValue('PRAGMA integrity_check')).toBe('ok');
        });
      }

      it('sees a WAL grow, get truncated by a checkpoint, and start again after the last close', () => {
        const a = db('g.db');
        a.exec(
          'PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)',
        );
        const b = db('g.db');
        a.exec(`INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(200)}`);
        const grown = h.readFile(h.path('g.db-wal')).length;
        expect(grown).toBeGreaterThan(200 * 900);
        expectSame(a, b, 200);
        // The reader checkpoints what the writer appended, then the writer restarts the WAL.
        expect(b.selectArrays('PRAGMA wal_checkpoint(TRUNCATE)')[0]).toEqual([0, 0, 0]);
        expect(h.readFile(h.path('g.db-wal')).length).toBe(0);
        a.exec('INSERT INTO t (pad) VALUES (randomblob(900))');
        expect(h.readFile(h.path('g.db-wal')).length).toBeLessThan(grown);
        expectSame(a, b, 201);
        // journal_size_limit cuts a WAL that grew past it when the next writer restarts it.
        b.exec('PRAGMA journal_size_limit = 0');
        a.exec(`INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(100)}`);
        expect(b.selectArrays('PRAGMA wal_checkpoint(PASSIVE)')[0]).toEqual([
          0,
          expect.any(Number),
          expect.any(Number),
        ]);
        b.exec('INSERT INTO t (pad) VALUES (randomblob(10))');
        expectSame(a, b, 302);
        close(a);
        close(b);
        expect(h.exists(h.path('g.db-wal'))).toBe(false);
        // A new WAL of the same name starts from its real (empty) size.
        const c = db('g.db');
        const d = db('g.db');
        c.exec(`INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(50)}`);
        expectSame(c, d, 352);
        d.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        expectSame(c, d, 352);
      });

      it('reads a hot journal that another connection left in place at its real size', () => {
        const a = db('hot.db');
        a.exec(
          `PRAGMA journal_mode = persist; PRAGMA cache_size = 5; CREATE TABLE t (id INTEGER PRIMARY KEY, pad ` +
            `BLOB); INSERT INTO t (pad) SELECT randomblob(900) FROM ${series(100)}`,
        );
        const b = db('hot.db');
        b.exec('PRAGMA journal_mode = persist');
        // b's small transaction reuses the bigger persisted journal a wrote, then rolls back.
        b.exec('BEGIN; UPDATE t SET pad = randomblob(10) WHERE id = 1');
        b.exec('ROLLBACK');
        a.exec(`BEGIN; UPDATE t SET pad = randomblob(950); ROLLBACK`);
        expectSame(a, b, 100);
        expect(b.selectValue('SELECT count(*) FROM t WHERE length(pad) = 900')).toBe(100);
      });
    });

    it('handles a database much bigger than the page cache', () => {
      const a = db('big.db');
      a.exec('PRAGMA cache_size = 20; CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB, n INT)');
      a.exec(
        `BEGIN; INSERT INTO t (data, n) SELECT zeroblob(2000) || randomblob(100), value FROM ${series(3000)}; COMMIT`,
      );
      a.exec('BEGIN; UPDATE t SET n = -n; DELETE FROM t WHERE id % 3 = 0; ROLLBACK');
      expect(a.selectValue('SELECT sum(n) FROM t')).toBe((3000 * 3001) / 2);
      expect(a.selectValue('PRAGMA page_count') as number).toBeGreaterThan(700);
      expect(a.selectValue('PRAGMA integrity_check')).toBe('ok');
      close(a);
      const b = db('big.db');
      expect(b.selectValue('SELECT count(*) FROM t')).toBe(3000);
    });

    it('keeps temporary tables and large sorts in anonymous temporary files', () => {
      const a = db('tmp.db');
      let mostOpen = 0;
      (a as unknown as { createFunction(name: string, fn: () => number): void }).createFunction('open_files', () => {
        mostOpen = Math.max(mostOpen, h.vfs.openFileCount);
        return 0;
      });
      a.exec('PRAGMA temp_store = FILE; PRAGMA cache_size = 10; PRAGMA temp.cache_size = 10');
      a.exec(
        `CREATE TEMP TABLE scratch (k, v); INSERT INTO scratch SELECT random(), randomblob(200) FROM ${series(40000)}`,
      );
      // Rows come out of the sorter after it spilled to a temporary file: main, temp db, sorter.
      const sorted = a.selectValues('SELECT k + open_files() FROM scratch ORDER BY v') as number[];
      expect(sorted.length).toBe(40000);
      expect(mostOpen).toBeGreaterThanOrEqual(3);
      expect(a.selectValue('SELECT count(DISTINCT v) FROM scratch')).toBe(40000);
      expect(h.list().filter((f) => !f.endsWith('-wasmlite-owner'))).toEqual(['tmp.db']);
    });

    it('gives SQLite the current time', () => {
      const a = db('time.db');
      const [seconds, subsec] = a.selectArrays("SELECT unixepoch('now'), unixepoch('now', 'subsec')")[0] as [
        number,
        number,
      ];
      expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(2);
      expect(Math.abs(subsec - Date.now() / 1000)).toBeLessThan(2);
    });

    describe('errors', () => {
      it('refuses a directory with SQLITE_CANTOPEN_ISDIR and keeps the EISDIR cause', () => {
        h.mkdir(h.path('dir.db'));
        expect(resultCodeOf(() => db('dir.db'))).toBe(SQLITE_CANTOPEN_ISDIR);
        expect(takeVfsError()).toMatchObject({ code: 'EISDIR' });
        expect(resultCodeOf(() => db('dir.db', 'r')) & 0xff).toBe(SQLITE_CANTOPEN);
      });

      it('reports a missing file opened without create as SQLITE_CANTOPEN with ENOENT', () => {
        expect(resultCodeOf(() => db('missing.db', 'w'))).toBe(SQLITE_CANTOPEN);
        expect(takeVfsError()).toMatchObject({ code: 'ENOENT' });
        expect(h.list()).toEqual([]);
      });

      it('opens a file it may not write read-only, and refuses writes with SQLITE_READONLY', () => {
        const a = db('ro.db');
        a.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('kept')");
        close(a);
        const vfs = h.wrapped((fs) => {
          const f = new FaultyFilesystem(fs);
          f.readOnlyPaths.add(fs.fullPath(h.path('ro.db')));
          return f;
        });
        const b = openDb(h.engine, h.path('ro.db'), vfs.name, 'w');
        try {
          expect(h.engine.x.sqlite3_db_readonly(b.pointer, h.engine.cstr('main'))).toBe(1);
          expect(b.selectValue('SELECT v FROM t')).toBe('kept');
          expect(resultCodeOf(() => b.exec("INSERT INTO t VALUES ('no')")) & 0xff).toBe(SQLITE_READONLY);
        } finally {
          b.close();
        }
      });

      it('reports a file that is not a database as SQLITE_NOTADB and leaves it alone', () => {
        const junk = new TextEncoder().encode('this is not a database, '.repeat(400));
        h.writeFile(h.path('junk.db'), junk);
        const a = db('junk.db');
        expect(resultCodeOf(() => a.exec('CREATE TABLE t (v)'))).toBe(SQLITE_NOTADB);
        expect(resultCodeOf(() => a.selectValue('SELECT count(*) FROM sqlite_schema'))).toBe(SQLITE_NOTADB);
        close(a);
        expect(h.readFile(h.path('junk.db'))).toEqual(junk);
      });

      it('reports a full disk as SQLITE_FULL with the ENOSPC cause and keeps the database intact', () => {
        let faulty: FaultyFilesystem | undefined;
        const vfs = h.wrapped((fs) => (faulty = new FaultyFilesystem(fs)));
        const a = openDb(h.engine, h.path('full.db'), vfs.name, 'c');
        try {
          a.exec(`CREATE TABLE t (v); INSERT INTO t SELECT randomblob(500) FROM ${series(200)}`);
          const before = a.selectValue('SELECT sum(length(v)) FROM t');
          faulty!.writeError = 'ENOSPC';
          expect(resultCodeOf(() => a.exec(`INSERT INTO t SELECT randomblob(500) FROM ${series(200)}`))).toBe(
            SQLITE_FULL,
          );
          expect(takeVfsError()).toMatchObject({ code: 'ENOSPC' });
          faulty!.writeError = undefined;
          expect(a.selectValue('SELECT sum(length(v)) FROM t')).toBe(before);
          expect(a.selectValue('PRAGMA integrity_check')).toBe('ok');
          a.exec('INSERT INTO t VALUES (1)');
          expect(a.selectValue('SELECT count(*) FROM t')).toBe(201);
        } finally {
          a.close();
        }
        const b = db('full.db');
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(201);
        expect(b.selectValue('PRAGMA integrity_check')).toBe('ok');
      });

      it('reports a full disk during a WAL commit as SQLITE_FULL and keeps the database intact', () => {
        let faulty: FaultyFilesystem | undefined;
        const vfs = h.wrapped((fs) => (faulty = new FaultyFilesystem(fs)));
        const a = openDb(h.engine, h.path('fullwal.db'), vfs.name, 'c');
        try {
          a.exec(
            `PRAGMA journal_mode = wal; CREATE TABLE t (v); INSERT INTO t SELECT randomblob(500) FROM ${series(200)}`,
          );
          faulty!.writeError = 'ENOSPC';
          expect(resultCodeOf(() => a.exec(`INSERT INTO t SELECT randomblob(500) FROM ${series(200)}`))).toBe(
            SQLITE_FULL,
          );
          expect(takeVfsError()).toMatchObject({ code: 'ENOSPC' });
          faulty!.writeError = undefined;
          expect(a.selectValue('SELECT count(*) FROM t')).toBe(200);
          expect(a.selectValue('PRAGMA integrity_check')).toBe('ok');
        } finally {
          a.close();
        }
        const b = db('fullwal.db');
        expect(b.selectValue('SELECT count(*) FROM t')).toBe(200);
        expect(b.selectValue('PRAGMA integrity_check')).toBe('ok');
      });
    });
  });
}
