import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open, type Database } from '../../../core/index.ts';
import { databaseChecksum, Position, PositionMismatchError, type TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { capturePrimary, dump } from './primary.ts';

const STEPS = 150;
const SEEDS = [41, 42, 43, 44];
const SIZES = [1, 2, 3, 5, 8, 13, 64, 4];

/** The database as `db` reads it (main file + WAL), page by page, in one read transaction. */
function liveChecksum(db: Database): bigint {
  const pages = db.prepare('SELECT data FROM sqlite_dbpage').pluck().all() as Uint8Array[];
  return databaseChecksum(Buffer.concat(pages), { pageSize: Number(db.pragma('page_size', { simple: true })) });
}

function checkpointed(file: string): Promise<Buffer> {
  return open(file).then((db) => {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return fs.readFileSync(file);
  });
}

const positionOf = (record: TxRecord): Position => new Position(record.txid, record.postChecksum);

describe('Replica.applyBatch', () => {
  const temp = useTempDir();

  for (const seed of SEEDS) {
    it(`ends where one-by-one applies end, and readers see each batch whole (seed ${seed})`, async () => {
      const dir = fs.realpathSync(temp.dir);
      const primary = await capturePrimary(dir, seed, STEPS);
      const onePath = path.join(dir, 'one-by-one.db');
      fs.copyFileSync(primary.replicaPath, onePath);
      const readers: Database[] = [];
      let batched: Replica | undefined;
      let single: Replica | undefined;
      try {
        const records = primary.records;
        // The workload shrinks the database (VACUUM, incremental vacuum): those records commit alone.
        expect(records.some((r, i) => i > 0 && r.commitPageCount < records[i - 1]!.commitPageCount)).toBe(true);
        batched = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
        single = await Replica.open(onePath, { from: primary.start, sync: false });
        for (let i = 0; i < 2; i++) readers.push(await open(primary.replicaPath));
        const [plain, snapshotter] = readers as [Database, Database];

        let batches = 0;
        for (let at = 0; at < records.length; batches++) {
          const batch = records.slice(at, at + SIZES[batches % SIZES.length]!);
          at += batch.length;
          const last = positionOf(batch.at(-1)!);
          const holding = batches % 3 === 0;
          let snapshot: ReturnType<typeof dump> | undefined;
          let before: bigint | undefined;
          if (holding) {
            snapshotter.exec('BEGIN');
            snapshot = dump(snapshotter);
            before = liveChecksum(snapshotter);
          }

          expect(batched.applyBatch(batch)).toEqual(last);
          for (const record of batch) single.apply(record);
          expect(single.position).toEqual(last);

          // A long-lived reader sees the whole batch: exactly the last record's database.
          expect(liveChecksum(plain), `batch ending at txid ${last.txid}`).toBe(last.checksum);
          const fresh = await open(primary.replicaPath);
          try {
            expect(liveChecksum(fresh)).toBe(last.checksum);
            expect(dump(plain)).toEqual(dump(fresh));
          } finally {
            fresh.close();
          }
          if (holding) {
            expect(liveChecksum(snapshotter), `snapshot kept across txid ${last.txid}`).toBe(before);
            expect(dump(snapshotter)).toEqual(snapshot);
            snapshotter.exec('COMMIT');
            expect(liveChecksum(snapshotter)).toBe(last.checksum);
          }
        }
        expect(batches).toBeLessThan(records.length / 2);
        expect(plain.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(dump(plain)).toEqual(dump(primary.db));
      } finally {
        batched?.close();
        single?.close();
        for (const reader of readers) reader.close();
      }
      try {
        const primaryBytes = fs.readFileSync(primary.primaryPath);
        expect(Buffer.compare(await checkpointed(onePath), primaryBytes)).toBe(0);
        expect(Buffer.compare(await checkpointed(primary.replicaPath), primaryBytes)).toBe(0);
      } finally {
        primary.close();
      }
    });
  }

  it('applies the records before one that does not fit, then refuses it', async () => {
    const dir = fs.realpathSync(temp.dir);
    const primary = await capturePrimary(dir, 45, 40);
    const reader = await open(primary.replicaPath);
    try {
      const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
      const [r1, r2, r3, r4] = primary.records as [TxRecord, TxRecord, TxRecord, TxRecord];
      const tampered: TxRecord = {
        ...r3,
        pages: r3.pages.map((page, i) =>
          i === 0 ? { pgno: page.pgno, data: page.data.map((b, j) => (j === 300 ? b ^ 1 : b)) } : page,
        ),
      };
      expect(() => replica.applyBatch([r1, r2, tampered, r4])).toThrow(PositionMismatchError);
      expect(replica.position).toEqual(positionOf(r2));
      expect(liveChecksum(reader)).toBe(r2.postChecksum);

      let error: unknown;
      try {
        replica.applyBatch([r3, { ...r4, preChecksum: r4.preChecksum ^ 1n }]);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(PositionMismatchError);
      expect((error as PositionMismatchError).have).toEqual(positionOf(r3));
      expect(replica.position).toEqual(positionOf(r3));
      expect(liveChecksum(reader)).toBe(r3.postChecksum);

      // A malformed record is refused the same way, after the ones before it.
      const malformed: TxRecord = { ...primary.records[4]!, pages: [{ pgno: 1, data: new Uint8Array(10) }] };
      expect(() => replica.applyBatch([r4, malformed])).toThrow();
      expect(replica.position).toEqual(positionOf(r4));
      expect(liveChecksum(reader)).toBe(r4.postChecksum);

      // A first record that does not fit changes nothing.
      expect(() => replica.applyBatch([r3, r4])).toThrow(PositionMismatchError);
      expect(replica.position).toEqual(positionOf(r4));
      expect(replica.applyBatch([])).toEqual(positionOf(r4));
      expect(() => replica.applyBatch(undefined as unknown as TxRecord[])).toThrow(TypeError);

      expect(replica.applyBatch(primary.records.slice(4))).toEqual(positionOf(primary.records.at(-1)!));
      expect(liveChecksum(reader)).toBe(primary.records.at(-1)!.postChecksum);
      replica.close();
      expect(() => replica.applyBatch([r1])).toThrow(TypeError);
    } finally {
      reader.close();
      primary.close();
    }
  });

  it('keeps its position and checksums after a commit that fails, and applies the records again later', async () => {
    const dir = fs.realpathSync(temp.dir);
    const primary = await capturePrimary(dir, 46, 40);
    const blocker = await open(primary.replicaPath);
    let replica: Replica | undefined;
    try {
      replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false, timeout: 0 });
      const [r1, r2, r3] = primary.records as [TxRecord, TxRecord, TxRecord];
      replica.apply(r1);
      // Another connection holds the write lock: the commit fails with SQLITE_BUSY after the
      // records were checked (the checksum table moved on and must be put back).
      blocker.exec('BEGIN IMMEDIATE');
      expect(() => replica!.applyBatch([r2, r3])).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
      expect(() => replica!.apply(r2)).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
      expect(replica.position).toEqual(positionOf(r1));
      blocker.exec('ROLLBACK');
      expect(liveChecksum(blocker)).toBe(r1.postChecksum);
      expect(replica.applyBatch(primary.records.slice(1))).toEqual(positionOf(primary.records.at(-1)!));
      expect(liveChecksum(blocker)).toBe(primary.records.at(-1)!.postChecksum);
      replica.close();
      // The position file names where the database is.
      const again = await Replica.open(primary.replicaPath);
      expect(again.position).toEqual(positionOf(primary.records.at(-1)!));
      again.close();
    } finally {
      replica?.close();
      blocker.close();
      primary.close();
    }
  });
});
