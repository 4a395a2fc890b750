import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { Position, TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { capturePrimary } from './primary.ts';
import { runUntilKilled } from '../../support/run-until-killed.ts';

const applier = path.join(import.meta.dirname, 'crash-applier.ts');
const ROUNDS = 12;

/** Runs the applier; kills it with SIGKILL `killAfterMs` after its first report. Returns the txids it reported. */
async function applyThenKill(
  replicaPath: string,
  recordsPath: string,
  batch: number,
  killAfterMs: number,
): Promise<{ applied: bigint[]; killed: boolean }> {
  const run = await runUntilKilled(applier, [replicaPath, recordsPath, String(batch)], {
    prefix: 'applied ',
    killAfterMs,
  });
  return { applied: run.reported.map(BigInt), killed: run.killed };
}

describe('a replica whose applier is killed with SIGKILL', () => {
  const temp = useTempDir();

  const cases = [
    { name: 'one record a commit', sizes: [1], steps: 200 },
    // Batches go faster: more records, so that every round is killed before the end.
    { name: 'batches of 2 to 16 records a commit', sizes: [2, 5, 16, 3, 8], steps: 800 },
  ];
  for (const { name, sizes, steps } of cases)
    it(`reopens at a consistent position, before or after the commit, over ${ROUNDS} kills (${name})`, async () => {
      const dir = fs.realpathSync(temp.dir);
      const primary = await capturePrimary(dir, 31, steps);
      try {
        const positions = new Map<bigint, Position>([[0n, primary.start]]);
        const chunks: Buffer[] = [];
        for (const record of primary.records) {
          positions.set(record.txid, new Position(record.txid, record.postChecksum));
          const encoded = TxRecord.encode(record);
          const length = Buffer.alloc(4);
          length.writeUInt32BE(encoded.length);
          chunks.push(length, Buffer.from(encoded));
        }
        const recordsPath = path.join(dir, 'records');
        fs.writeFileSync(recordsPath, Buffer.concat(chunks));
        (await Replica.open(primary.replicaPath, { from: primary.start })).close();

        let reported = 0n;
        let kills = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const batch = sizes[round % sizes.length]!;
          const { applied, killed } = await applyThenKill(
            primary.replicaPath,
            recordsPath,
            batch,
            3 + ((round * 17) % 60),
          );
          if (killed) kills++;
          if (applied.length > 0) reported = applied.at(-1)!;

          const replica = await Replica.open(primary.replicaPath); // PositionMismatchError if file and position disagree
          const at = replica.position;
          replica.close();
          expect(positions.get(at.txid), `round ${round}`).toEqual(at);
          expect(at.txid).toBeGreaterThanOrEqual(reported);
          expect(at.txid).toBeLessThanOrEqual(reported + BigInt(batch));
          reported = at.txid;
          const db = await open(primary.replicaPath);
          try {
            expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          } finally {
            db.close();
          }
        }
        expect(kills).toBeGreaterThanOrEqual(10);

        const replica = await Replica.open(primary.replicaPath, { sync: false });
        for (const record of primary.records) if (record.txid > replica.position.txid) replica.apply(record);
        replica.close();
        const db = await open(primary.replicaPath);
        db.pragma('wal_checkpoint(TRUNCATE)');
        db.close();
        expect(Buffer.compare(fs.readFileSync(primary.replicaPath), fs.readFileSync(primary.primaryPath))).toBe(0);
      } finally {
        primary.close();
      }
    }, 120_000);
});
