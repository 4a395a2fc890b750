import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, SqliteError, type Database } from '../../../core/index.ts';
import type { CommitObserver, WalCommit } from '../../../core/vfs/index.ts';
import { FaultyFilesystem } from '../../support/faulty-filesystem.ts';
import type { VfsHarness } from '../../support/vfs-harness.ts';

/** Every page of the database as SQLite reads it (main file overlaid with the WAL). */
function pages(db: Database): Uint8Array[] {
  // Blobs come back as Buffers; the observer's pages are plain Uint8Arrays of the same bytes.
  return db
    .prepare('SELECT data FROM sqlite_dbpage ORDER BY pgno')
    .pluck<Uint8Array>()
    .all()
    .map((page) => new Uint8Array(page));
}

const pgnos = (commit: WalCommit): number[] => commit.pages.map((p) => p.pgno);

/** The error a statement throws. */
function thrown(fn: () => unknown): SqliteError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SqliteError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail');
}

/**
 * What a commit observer attached with `vfs.observe` sees through real SQLite, for every VFS
 * implementation (`observe.test.ts`).
 */
export function observeSuite(name: string, makeHarness: () => Promise<VfsHarness>): void {
  describe(`commit observers on ${name}`, () => {
    let h: VfsHarness;
    let commits: WalCommit[];
    let failed: WalCommit[];
    let observer: CommitObserver;
    let stops: (() => void)[];
    let dbs: Database[];

    async function openDb(file: string, vfs = h.vfs.name): Promise<Database> {
      const db = await open(h.path(file), { vfs });
      dbs.push(db);
      return db;
    }

    /** Attaches the test's observer to `file` and opens it. */
    async function observed(file = 'app.db', vfs = h.vfs): Promise<Database> {
      stops.push(vfs.observe(h.path(file), observer));
      return openDb(file, vfs.name);
    }

    beforeEach(async () => {
      h = await makeHarness();
      commits = [];
      failed = [];
      observer = { commit: (c) => void commits.push(c), commitFailed: (c) => void failed.push(c) };
      stops = [];
      dbs = [];
    });

    afterEach(() => {
      for (const db of dbs.reverse()) if (db.open) db.close();
      for (const stop of stops) stop();
      h.cleanup();
    });

    it('shows each commit every page it changed, as the database reads them after it', async () => {
      const db = await observed();
      const steps = [
        'CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)',
        'INSERT INTO t (body) VALUES (randomblob(100)), (randomblob(9000)), (zeroblob(5))',
        'CREATE INDEX t_body ON t (body)',
        'UPDATE t SET body = randomblob(3000) WHERE id = 2',
        'DELETE FROM t WHERE id = 1',
        'ALTER TABLE t ADD COLUMN note TEXT',
        'DROP INDEX t_body',
        'VACUUM',
      ];
      for (const sql of steps) {
        const before = pages(db);
        commits.length = 0;
        db.exec(sql);
        const after = pages(db);
        expect(commits, sql).toHaveLength(1);
        const [commit] = commits as [WalCommit];
        expect(commit.pageSize).toBe(4096);
        expect(commit.commitPageCount).toBe(after.length);
        expect(pgnos(commit)).toEqual([...pgnos(commit)].sort((a, b) => a - b));
        for (const { pgno, data } of commit.pages) expect(data, `${sql}: page ${pgno}`).toEqual(after[pgno - 1]);
        const changed = after.flatMap((data, i) =>
          i >= before.length || !Buffer.from(data).equals(before[i]!) ? [i + 1] : [],
        );
        expect(pgnos(commit), sql).toEqual(expect.arrayContaining(changed));
      }
    });

    it('shows nothing for rollbacks, read transactions and checkpoints', async () => {
      const db = await observed();
      db.exec('CREATE TABLE t (x)');
      commits.length = 0;
      db.exec('BEGIN; INSERT INTO t VALUES (1); ROLLBACK');
      db.exec('BEGIN; SELECT * FROM t; COMMIT');
      db.exec('BEGIN IMMEDIATE; COMMIT');
      db.exec('DELETE FROM t WHERE 0');
      db.prepare('SELECT count(*) FROM t').get();
      db.pragma('wal_checkpoint(PASSIVE)');
      db.pragma('wal_checkpoint(TRUNCATE)');
      expect(commits).toHaveLength(0);
    });

    it('shows nothing a rolled-back savepoint wrote', async () => {
      const db = await observed();
      db.exec('CREATE TABLE t (x)');
      // SQLite still commits the pages ROLLBACK TO restored: unchanged, except that a WAL commit
      // of page 1 bumps the change counter in its header (bytes 24-27, copied to 92-95).
      const header = (page: Uint8Array) =>
        Buffer.concat([page.subarray(0, 24), page.subarray(28, 92), page.subarray(96)]);
      for (const sql of [
        'BEGIN; SAVEPOINT s; INSERT INTO t VALUES (2); ROLLBACK TO s; RELEASE s; COMMIT',
        'SAVEPOINT s; INSERT INTO t VALUES (zeroblob(20000)); ROLLBACK TO s; RELEASE s',
        'BEGIN; INSERT INTO t VALUES (1); SAVEPOINT s; INSERT INTO t VALUES (zeroblob(20000)); ROLLBACK TO s; COMMIT',
      ]) {
        const before = pages(db);
        commits.length = 0;
        db.exec(sql);
        expect(commits.length, sql).toBeLessThanOrEqual(1);
        for (const commit of commits) {
          expect(commit.commitPageCount, sql).toBe(before.length);
          for (const { pgno, data } of commit.pages) {
            if (pgno === 1) expect(header(data), sql).toEqual(header(before[0]!));
            else if (!sql.includes('VALUES (1)')) expect(data, `${sql}: page ${pgno}`).toEqual(before[pgno - 1]);
          }
        }
      }
      expect(commits).toHaveLength(1);
      for (const { pgno, data } of commits[0]!.pages) expect(data).toEqual(pages(db)[pgno - 1]);
      expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([1]);
    });

    it('leaks no page of a spilled, rolled-back transaction or savepoint into the next commit', async () => {
      const db = await observed();
      db.exec('CREATE TABLE t (x); PRAGMA cache_size = 2');
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      commits.length = 0;
      db.exec('BEGIN');
      for (let i = 0; i < 40; i++) insert.run(new Uint8Array(1500).fill(i));
      db.exec('ROLLBACK');
      expect(commits).toHaveLength(0);
      db.exec('BEGIN');
      insert.run('a');
      db.exec('SAVEPOINT s');
      for (let i = 0; i < 40; i++) insert.run(new Uint8Array(1500).fill(i));
      db.exec('ROLLBACK TO s');
      insert.run('b');
      db.exec('COMMIT');
      insert.run('c');
      expect(commits).toHaveLength(2);
      const after = pages(db);
      for (const commit of commits) {
        expect(commit.commitPageCount).toBe(after.length);
        for (const { pgno } of commit.pages) expect(pgno).toBeLessThanOrEqual(after.length);
      }
      for (const { pgno, data } of commits[1]!.pages) expect(data).toEqual(after[pgno - 1]);
      expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual(['a', 'b', 'c']);
    });

    it('fails a refused commit with SQLITE_IOERR_WRITE, rolls it back, and leaves nothing for WAL recovery', async () => {
      const db = await observed();
      db.exec('CREATE TABLE t (x)');
      const refusal = new Error('the log is full');
      observer.commit = () => {
        throw refusal;
      };
      const autocommit = thrown(() => db.prepare('INSERT INTO t VALUES (1)').run());
      expect(autocommit.code).toBe('SQLITE_IOERR_WRITE');
      expect(autocommit.cause).toBe(refusal);
      db.exec('BEGIN; INSERT INTO t VALUES (2)');
      const explicit = thrown(() => db.exec('COMMIT'));
      expect(explicit.code).toBe('SQLITE_IOERR_WRITE');
      expect(db.inTransaction).toBe(false); // SQLite rolled the whole transaction back
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);

      // A crash now: what is on disk must not bring the refused transactions back.
      h.writeFile(h.path('copy.db'), h.readFile(h.path('app.db')));
      h.writeFile(h.path('copy.db-wal'), h.readFile(h.path('app.db-wal')));
      const copy = await openDb('copy.db');
      expect(copy.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');

      observer.commit = (c) => void commits.push(c);
      db.prepare('INSERT INTO t VALUES (3)').run();
      expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([3]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(failed).toHaveLength(0);
    });

    it('tells the observer when SQLite could not write a commit frame it had accepted', async () => {
      let faults!: FaultyFilesystem;
      const vfs = h.wrapped((inner) => (faults = new FaultyFilesystem(inner)));
      const db = await observed('app.db', vfs);
      db.exec('CREATE TABLE t (x)');
      observer.commit = (c) => {
        commits.push(c);
        faults.failNextWrite('EIO', '-wal');
      };
      const error = thrown(() => db.prepare('INSERT INTO t VALUES (1)').run());
      expect(error.code).toBe('SQLITE_IOERR_WRITE');
      expect((error.cause as NodeJS.ErrnoException).code).toBe('EIO');
      expect(commits).toHaveLength(2);
      expect(failed).toEqual([commits[1]]);
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    });

    it('refuses writes in locking_mode=EXCLUSIVE, which takes no WAL locks to follow', async () => {
      const db = await observed();
      db.exec('CREATE TABLE t (x); PRAGMA locking_mode = EXCLUSIVE');
      const error = thrown(() => db.exec('INSERT INTO t VALUES (1)'));
      expect(error.code).toBe('SQLITE_IOERR_WRITE');
      expect((error.cause as Error).message).toMatch(/commit observers need locking_mode=NORMAL/);
      expect(commits).toHaveLength(1);
    });

    it('keeps the database in WAL mode, so that no commit escapes the observer', async () => {
      const db = await observed();
      db.exec('CREATE TABLE t (x)');
      for (const mode of ['DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY', 'OFF']) {
        commits.length = 0;
        try {
          db.pragma(`journal_mode = ${mode}`); // may answer the new mode, but page 1 is refused
        } catch (error) {
          expect((error as SqliteError).code).toBe('SQLITE_IOERR_WRITE');
          expect(((error as SqliteError).cause as Error).message).toMatch(/must stay in WAL mode/);
        }
        db.exec('INSERT INTO t VALUES (1)');
        expect(db.pragma('journal_mode', { simple: true }), mode).toBe('wal');
        expect(commits, mode).toHaveLength(1);
      }
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(5);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    });

    it('observes every connection to the database, in commit order', async () => {
      const a = await observed();
      const b = await openDb('app.db');
      a.exec('CREATE TABLE t (x)');
      b.exec('INSERT INTO t VALUES (1)');
      a.exec('INSERT INTO t VALUES (2)');
      b.exec('BEGIN; INSERT INTO t VALUES (3); COMMIT');
      expect(commits).toHaveLength(4);
      const after = pages(a);
      for (const { pgno, data } of commits[3]!.pages) expect(data).toEqual(after[pgno - 1]);
    });

    it('attaches only before the database opens, once, and stops when detached', async () => {
      const db = await observed();
      expect(() => h.vfs.observe(h.path('app.db'), observer)).toThrow(TypeError);
      expect(() => h.vfs.observe(h.path('app.db'), observer)).toThrow(/is open: attach its observer before opening it/);
      expect(() => h.vfs.observe('', observer)).toThrow('Expected the database path to be a non-empty string');
      expect(() => h.vfs.observe(h.path('x.db'), {} as CommitObserver)).toThrow(
        'Expected the observer to have a "commit" method',
      );
      db.close();
      expect(() => h.vfs.observe(h.path('app.db'), observer)).toThrow(/already has a commit observer/);
      const again = await openDb('app.db');
      again.exec('CREATE TABLE t (x)');
      expect(commits).toHaveLength(1);
      stops.pop()!();
      again.exec('INSERT INTO t VALUES (1)');
      expect(commits).toHaveLength(1);
    });

    it('leaves the files of other databases alone', async () => {
      await observed('app.db');
      const other = await openDb('app.db2');
      other.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      const third = await openDb('my-app.db');
      third.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      expect(commits).toHaveLength(0);
    });
  });
}
