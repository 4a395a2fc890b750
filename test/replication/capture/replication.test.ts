import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open, type Database } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../../core/vfs/index.ts';
import { WalCapture } from '../../../replication/capture/index.ts';
import { databaseChecksum, TransactionLog, TxRecord } from '../../../replication/log/index.ts';
import { openNative, type NativeDb } from '../../support/better-sqlite3.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { ReplicaFile } from './replica-file.ts';
import { Workload } from './workload.ts';

const DB_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const STEPS = 160;
const SEEDS = [1, 2, 3, 4, 5, 6];

/** Every table's rows, values made comparable across drivers (blobs as hex, integers as text). */
function dump(db: Pick<Database, 'prepare'> | NativeDb): Record<string, unknown[][]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .raw()
    .all() as string[][];
  const out: Record<string, unknown[][]> = {};
  for (const [name] of tables) {
    const rows = db.prepare(`SELECT * FROM "${name!}" ORDER BY rowid`).raw().all() as unknown[][];
    out[name!] = rows.map((row) =>
      row.map((v) =>
        v instanceof Uint8Array
          ? `x'${Buffer.from(v).toString('hex')}'`
          : typeof v === 'bigint' || typeof v === 'number'
            ? String(v)
            : v,
      ),
    );
  }
  return out;
}

describe('a replica applying the captured records', () => {
  const temp = useTempDir();

  for (const seed of SEEDS) {
    it(`ends byte-identical to the primary after a random workload (seed ${seed})`, async () => {
      const dir = fs.realpathSync(temp.dir);
      const primaryPath = path.join(dir, 'primary.db');
      const replicaPath = path.join(dir, 'replica.db');

      // The database as it is before capture begins, and the replica's copy of it.
      const setup = await open(primaryPath);
      Workload.schema(setup, seed % 2 === 0);
      setup.close();
      const replica = new ReplicaFile(replicaPath, primaryPath, 4096);

      const log = TransactionLog.open(path.join(dir, 'log'), { fsync: false });
      const capture = new WalCapture({ dbId: DB_ID, epoch: 1n, sink: (record) => log.append(record) });
      const stop = defaultVfs(await loadEngine()).observe(primaryPath, capture);
      const db = await open(primaryPath);
      const other = await open(primaryPath);
      let commits = 0;
      try {
        db.exec('PRAGMA wal_autocheckpoint = 25'); // automatic checkpoints, often
        const start = capture.start(db, log.lastPosition());
        expect(start.checksum).toBe(replica.checksum);

        const workload = new Workload(seed, db, other);
        const done: string[] = [];
        for (let i = 0; i < STEPS; i++) done.push(workload.step());
        commits = Number(capture.position!.txid);
        expect(commits, done.join('\n')).toBeGreaterThan(STEPS / 3);
        other.close();
        db.pragma('wal_checkpoint(TRUNCATE)');
        expect(databaseChecksum(primaryPath)).toBe(capture.position!.checksum);

        let pre = start.checksum;
        let txid = 0n;
        for (const record of log.readFrom(1n)) {
          expect(record.txid).toBe(++txid);
          expect(record.preChecksum).toBe(pre);
          TxRecord.verifyChecksums(record, replica.table);
          replica.apply(record);
          expect(replica.checksum, `after txid ${record.txid}`).toBe(record.postChecksum);
          pre = record.postChecksum;
        }
        expect(txid).toBe(capture.position!.txid);
        expect(Buffer.compare(fs.readFileSync(replicaPath), fs.readFileSync(primaryPath))).toBe(0);

        const expected = dump(db);
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const wasm = await open(replicaPath);
        try {
          expect(wasm.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(dump(wasm)).toEqual(expected);
        } finally {
          wasm.close();
        }
        const native = openNative(replicaPath);
        try {
          expect(native.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(dump(native)).toEqual(expected);
        } finally {
          native.close();
        }
      } finally {
        if (other.open) other.close();
        db.close();
        stop();
        log.close();
      }
    });
  }
});
