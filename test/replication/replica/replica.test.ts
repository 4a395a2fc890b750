import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { open, type Database } from '../../../core/index.ts';
import { databaseChecksum, Position, PositionMismatchError, type TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { capturePrimary, dump } from './primary.ts';

const STEPS = 120;
const SEEDS = [11, 12, 13, 14];

/** The database as SQLite reads it (main file + WAL), page by page, through a fresh connection. */
function liveChecksum(path: string, db: Database): bigint {
  const pages = db.prepare('SELECT data FROM sqlite_dbpage').pluck().all() as Uint8Array[];
  return databaseChecksum(Buffer.concat(pages), { pageSize: Number(db.pragma('page_size', { simple: true })) });
}

describe('Replica.apply', () => {
  const temp = useTempDir();

  for (const seed of SEEDS) {
    it(`keeps long-lived readers correct and ends byte-identical to the primary (seed ${seed})`, async () => {
      const dir = fs.realpathSync(temp.dir);
      const primary = await capturePrimary(dir, seed, STEPS);
      const readers: Database[] = [];
      let replica: Replica | undefined;
      try {
        expect(primary.records.length).toBeGreaterThan(STEPS / 3);
        replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
        for (let i = 0; i < 3; i++) readers.push(await open(primary.replicaPath));
        const [plain, snapshotter, cached] = readers as [Database, Database, Database];
        cached.exec('PRAGMA cache_size = -8000');
        let expected = dump(plain);

        for (const record of primary.records) {
          // Every third record arrives while a reader is inside a read transaction.
          const holding = record.txid % 3n === 0n;
          let snapshot: ReturnType<typeof dump> | undefined;
          if (holding) {
            snapshotter.exec('BEGIN');
            snapshot = dump(snapshotter);
            expect(snapshot).toEqual(expected);
          }

          expect(replica.apply(record)).toEqual(new Position(record.txid, record.postChecksum));

          const fresh = await open(primary.replicaPath);
          try {
            expect(liveChecksum(primary.replicaPath, fresh), `txid ${record.txid}`).toBe(record.postChecksum);
            expected = dump(fresh);
          } finally {
            fresh.close();
          }
          if (holding) {
            expect(dump(snapshotter), `snapshot kept across txid ${record.txid}`).toEqual(snapshot);
            snapshotter.exec('COMMIT');
          }
          expect(dump(plain), `txid ${record.txid}`).toEqual(expected);
          expect(dump(cached), `txid ${record.txid}`).toEqual(expected);
          if (!holding) expect(dump(snapshotter)).toEqual(expected);
          if (record.txid % 10n === 0n) expect(cached.pragma('quick_check', { simple: true })).toBe('ok');
        }
        expect(dump(plain)).toEqual(dump(primary.db));
        expect(replica.position.txid).toBe(primary.records.at(-1)!.txid);

        expect(plain.pragma('integrity_check', { simple: true })).toBe('ok');
        plain.pragma('wal_checkpoint(TRUNCATE)');
        expect(Buffer.compare(fs.readFileSync(primary.replicaPath), fs.readFileSync(primary.primaryPath))).toBe(0);
      } finally {
        replica?.close();
        for (const reader of readers) reader.close();
        primary.close();
      }
    });
  }

  it('refuses a record that does not continue from its position, and changes nothing', async () => {
    const dir = fs.realpathSync(temp.dir);
    const primary = await capturePrimary(dir, 21, 30);
    const reader = await open(primary.replicaPath);
    try {
      const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
      const [first, second] = primary.records as [TxRecord, TxRecord];
      const before = dump(reader);
      const error = (() => {
        try {
          replica.apply(second);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(PositionMismatchError);
      expect((error as PositionMismatchError).have).toEqual(primary.start);
      expect(() => replica.apply({ ...first, preChecksum: first.preChecksum ^ 1n })).toThrow(PositionMismatchError);
      expect(replica.position).toEqual(primary.start);
      expect(liveChecksum(primary.replicaPath, reader)).toBe(primary.start.checksum);
      expect(dump(reader)).toEqual(before);
      replica.apply(first);
      expect(liveChecksum(primary.replicaPath, reader)).toBe(first.postChecksum);
      replica.close();
    } finally {
      reader.close();
      primary.close();
    }
  });

  it('refuses a record whose pages do not give its postChecksum, and changes nothing', async () => {
    const dir = fs.realpathSync(temp.dir);
    const primary = await capturePrimary(dir, 22, 30);
    const reader = await open(primary.replicaPath);
    try {
      const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
      const first = primary.records[0]!;
      const tampered = first.pages.map((page, i) =>
        i === 0 ? { pgno: page.pgno, data: page.data.map((b, j) => (j === 200 ? b ^ 1 : b)) } : page,
      );
      expect(() => replica.apply({ ...first, pages: tampered })).toThrow(PositionMismatchError);
      expect(() => replica.apply({ ...first, postChecksum: first.postChecksum ^ 1n })).toThrow(PositionMismatchError);
      expect(replica.position).toEqual(primary.start);
      expect(liveChecksum(primary.replicaPath, reader)).toBe(primary.start.checksum);
      expect(replica.apply(first).checksum).toBe(first.postChecksum);
      replica.close();
    } finally {
      reader.close();
      primary.close();
    }
  });

  it('resumes from its position file after a reopen', async () => {
    const dir = fs.realpathSync(temp.dir);
    const primary = await capturePrimary(dir, 23, 30);
    try {
      const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
      const half = primary.records.slice(0, Math.ceil(primary.records.length / 2));
      for (const record of half) replica.apply(record);
      replica.close();
      const again = await Replica.open(primary.replicaPath);
      expect(again.position).toEqual(new Position(half.at(-1)!.txid, half.at(-1)!.postChecksum));
      for (const record of primary.records.slice(half.length)) again.apply(record);
      expect(again.position.checksum).toBe(primary.records.at(-1)!.postChecksum);
      again.close();
    } finally {
      primary.close();
    }
  });

  it('needs a starting position for a database without a position file', async () => {
    const dir = fs.realpathSync(temp.dir);
    const primary = await capturePrimary(dir, 24, 5);
    try {
      await expect(Replica.open(primary.replicaPath)).rejects.toThrow(TypeError);
      await expect(
        Replica.open(primary.replicaPath, { from: new Position(0n, primary.start.checksum ^ 1n) }),
      ).rejects.toThrow(PositionMismatchError);
    } finally {
      primary.close();
    }
  });
});
