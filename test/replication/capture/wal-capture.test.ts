import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, SqliteError, type Database } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs, NodeFilesystem, NodeFsVfs, type CommitObserver } from '../../../core/vfs/index.ts';
import { CaptureError, WalCapture, type WalCaptureOptions } from '../../../replication/capture/index.ts';
import {
  databaseChecksum,
  Position,
  PositionMismatchError,
  TxRecord,
  type TxRecord as Record,
} from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { ReplicaFile } from './replica-file.ts';
import { FaultyFilesystem } from '../../support/faulty-filesystem.ts';

const DB_ID = '8c5e0f4b2d9a4e71b0c3d2e1f4a5b6c7';

function thrown(fn: () => unknown): SqliteError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SqliteError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail');
}

describe('WalCapture', () => {
  const temp = useTempDir();
  let file: string;
  let records: Record[];
  let stops: (() => void)[];
  let dbs: Database[];

  beforeEach(() => {
    file = path.join(fs.realpathSync(temp.dir), 'app.db');
    records = [];
    stops = [];
    dbs = [];
  });

  afterEach(() => {
    for (const db of dbs.reverse()) if (db.open) db.close();
    for (const stop of stops) stop();
  });

  function capture(options: Partial<WalCaptureOptions> = {}): WalCapture {
    return new WalCapture({
      dbId: DB_ID,
      epoch: 3n,
      sink: (record) => void records.push(record),
      now: () => 1_700_000_000_000,
      ...options,
    });
  }

  /** Creates the database with `sql` run in it, before anything observes it. */
  async function create(sql: string): Promise<void> {
    (await open(file)).exec(sql).close();
  }

  /** Observes `file` with `observer` through the default VFS and opens it. */
  async function primary(observer: CommitObserver, vfsName?: string): Promise<Database> {
    const engine = await loadEngine();
    stops.push(defaultVfs(engine).observe(file, observer));
    const db = await open(file, vfsName === undefined ? {} : { vfs: vfsName });
    dbs.push(db);
    return db;
  }

  it('starts from the database SQLite reads, committed WAL frames included', async () => {
    const c = capture();
    const db = await primary(c);
    expect(() => db.exec('CREATE TABLE t (x)')).toThrow(); // not started: refused
    expect(records).toHaveLength(0);
    c.start(db);
    db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(10000))');
    expect(records).toHaveLength(2);
    const again = capture();
    const pos = again.start(db);
    expect(pos).toEqual(new Position(0n, records[1]!.postChecksum));
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(databaseChecksum(file)).toBe(pos.checksum);
  });

  it('numbers records from the position it starts at, each continuing the one before', async () => {
    await create('CREATE TABLE t (x)');
    const c = capture();
    const db = await primary(c);
    const replica = new ReplicaFile(path.join(temp.dir, 'replica.db'), file, 4096);
    const start = c.start(db, new Position(41n, databaseChecksum(file)));
    expect(start.txid).toBe(41n);
    db.exec("INSERT INTO t VALUES ('a')");
    db.exec('BEGIN; INSERT INTO t VALUES (zeroblob(50000)); UPDATE t SET x = 1; COMMIT');
    db.exec('DELETE FROM t');
    expect(records.map((r) => r.txid)).toEqual([42n, 43n, 44n]);
    let pre = start.checksum;
    for (const record of records) {
      expect(record).toMatchObject({
        dbId: DB_ID,
        epoch: 3n,
        pageSize: 4096,
        timestamp: 1_700_000_000_000,
        preChecksum: pre,
      });
      TxRecord.decode(TxRecord.encode(record), { before: replica.table }); // checks postChecksum against the pages
      replica.apply(record);
      expect(replica.checksum).toBe(record.postChecksum);
      pre = record.postChecksum;
    }
    expect(c.position).toEqual(new Position(44n, pre));
  });

  it('attaches an idempotency key and result to the transaction committed inside withMeta, and to no other', async () => {
    await create('CREATE TABLE t (x)');
    const c = capture();
    const db = await primary(c);
    c.start(db);
    const result = new TextEncoder().encode('{"rowsAffected":1}');
    db.exec('BEGIN IMMEDIATE');
    db.prepare('INSERT INTO t VALUES (?)').run(1);
    expect(c.withMeta({ idempotencyKey: 'req-1', result }, () => db.exec('COMMIT'))).toBe(db);
    db.exec('INSERT INTO t VALUES (2)');
    // A commit that changes nothing makes no record: its metadata goes nowhere.
    c.withMeta({ idempotencyKey: 'req-2' }, () => db.exec('BEGIN; COMMIT'));
    db.exec('INSERT INTO t VALUES (3)');
    expect(() => c.withMeta({ idempotencyKey: '' }, () => db.exec('INSERT INTO t VALUES (4)'))).toThrow(TypeError);
    expect(() => c.withMeta({ idempotencyKey: 'a' }, () => c.withMeta({ idempotencyKey: 'b' }, () => 0))).toThrow(
      /no withMeta call/,
    );
    expect(records.map((r) => r.meta?.idempotencyKey)).toEqual(['req-1', undefined, undefined]);
    const decoded = TxRecord.decode(TxRecord.encode(records[0]!));
    expect(new TextDecoder().decode(decoded.meta!.result)).toBe('{"rowsAffected":1}');
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
  });

  it('follows a WAL left behind by a crash, whose header it never saw written', async () => {
    const crashed = await open(path.join(temp.dir, 'crashed.db'));
    crashed.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
    fs.copyFileSync(path.join(temp.dir, 'crashed.db'), file); // a copy taken while open: as after kill -9
    fs.copyFileSync(path.join(temp.dir, 'crashed.db-wal'), `${file}-wal`);
    crashed.close();
    const c = capture();
    const db = await primary(c);
    const start = c.start(db);
    db.exec('INSERT INTO t VALUES (3)');
    expect(records).toHaveLength(1);
    expect(records[0]!.preChecksum).toBe(start.checksum);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(databaseChecksum(file)).toBe(records[0]!.postChecksum);
    expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual([1, 2, 3]);
  });

  it('refuses to start on a database other than the one the log describes', async () => {
    const c = capture();
    const db = await primary(c);
    const have = new Position(7n, 0x1234n);
    const error = (() => {
      try {
        c.start(db, have);
      } catch (e) {
        return e;
      }
    })() as PositionMismatchError;
    expect(error).toBeInstanceOf(PositionMismatchError);
    expect(error.have).toEqual(have);
    expect(error.got.txid).toBe(7n);
    expect(error.got.checksum).not.toBe(0x1234n);
    expect(c.position).toBeUndefined();
    expect(() => db.exec('CREATE TABLE t (x)')).toThrow(SqliteError);
  });

  it('refuses databases it cannot follow and bad arguments', async () => {
    expect(() => capture({ dbId: 'xyz' })).toThrow('Expected the "dbId" option to be 32 lowercase hex digits');
    expect(() => capture({ epoch: -1n })).toThrow('Expected the "epoch" option to be a bigint between 0 and 2^64-1');
    expect(() => capture({ sink: undefined as never })).toThrow('Expected the "sink" option to be a function');
    const c = capture();
    expect(() => c.start({} as Database)).toThrow(TypeError);
    const engine = await loadEngine();
    const rollback = path.join(temp.dir, 'rollback.db');
    stops.push(defaultVfs(engine).observe(rollback, c));
    const inDeleteMode = await open(rollback, { journalMode: 'delete' });
    dbs.push(inDeleteMode);
    expect(() => c.start(inDeleteMode)).toThrow('Expected the database to be in WAL mode, it is in delete mode');
    const db = await primary(c);
    db.pragma('locking_mode = EXCLUSIVE');
    expect(() => c.start(db)).toThrow('Expected the database to use locking_mode=normal, it uses exclusive');
    db.pragma('locking_mode = NORMAL');
    c.start(db);
    expect(() => c.start(db)).toThrow('The capture has already started');
  });

  it('refuses a commit before start with a CaptureError as the cause', async () => {
    const db = await primary(capture());
    const error = thrown(() => db.exec('CREATE TABLE t (x)'));
    expect(error.code).toBe('SQLITE_IOERR_WRITE');
    expect(error.cause).toBeInstanceOf(CaptureError);
    expect((error.cause as Error).message).toBe('capture not started: a commit arrived before start()');
    expect(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get()).toBe(0);
  });

  it('does not advance when the sink refuses a record, and the transaction is rolled back', async () => {
    let refuse: Error | undefined;
    const c = capture({
      sink: (record) => {
        if (refuse !== undefined) throw refuse;
        records.push(record);
      },
    });
    const db = await primary(c);
    c.start(db);
    db.exec('CREATE TABLE t (x)');
    const before = c.position;
    refuse = new Error('disk full');
    const error = thrown(() => db.exec("BEGIN; INSERT INTO t VALUES ('lost'); COMMIT"));
    expect(error.code).toBe('SQLITE_IOERR_WRITE');
    expect(error.cause).toBe(refuse);
    expect(db.inTransaction).toBe(false);
    expect(c.position).toBe(before);
    refuse = undefined;
    db.exec("INSERT INTO t VALUES ('kept')");
    expect(records.map((r) => r.txid)).toEqual([1n, 2n]);
    expect(records[1]!.preChecksum).toBe(records[0]!.postChecksum);
    expect(db.prepare('SELECT x FROM t').pluck().all()).toEqual(['kept']);
  });

  it('makes no record for a commit that changes nothing', async () => {
    const c = capture();
    let seen = 0;
    const db = await primary({
      commit: (commit) => void (seen++, c.commit(commit)),
      commitFailed: (commit) => c.commitFailed(commit),
    });
    c.start(db);
    db.exec('CREATE TABLE t (x)');
    db.exec('BEGIN; SAVEPOINT s; INSERT INTO t VALUES (2); ROLLBACK TO s; RELEASE s; COMMIT');
    expect(seen).toBe(2); // SQLite committed the restored page…
    expect(records).toHaveLength(1); // …unchanged
  });

  it('stops for good when SQLite fails to commit a record the sink took', async () => {
    const engine = await loadEngine();
    const failing = new FaultyFilesystem(new NodeFilesystem());
    const vfs = NodeFsVfs.create(engine, { name: `capture-faulty-${process.pid}`, filesystem: failing });
    try {
      const c = capture({
        sink: (record) => {
          records.push(record);
          if (record.txid === 2n) failing.failNextWrite('ENOSPC', '-wal');
        },
      });
      const db = await primary(c, vfs.name);
      c.start(db);
      db.exec('CREATE TABLE t (x)');
      const error = thrown(() => db.exec("INSERT INTO t VALUES ('logged, not committed')"));
      expect(error.code).toBe('SQLITE_FULL');
      expect(records).toHaveLength(2);
      expect(c.failure).toBeInstanceOf(CaptureError);
      expect(c.failure!.position?.txid).toBe(2n);
      const refused = thrown(() => db.exec("INSERT INTO t VALUES ('after')"));
      expect(refused.code).toBe('SQLITE_IOERR_WRITE');
      expect(refused.cause).toBe(c.failure);
      expect(refused.cause).toBeInstanceOf(CaptureError);
      expect(records).toHaveLength(2);
      expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
      db.close();
    } finally {
      vfs.unregister();
    }
  });
});
