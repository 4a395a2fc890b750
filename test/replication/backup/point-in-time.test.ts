import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { restore, ArchiveCatalog, openTarget } from '../../../replication/backup/index.ts';
import { databaseChecksum, Position, startPrimary, type Primary } from '../../../replication/index.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, fileBytes, txidOf, untilArchived, workloadStatement } from './backup-helpers.ts';

describe('point-in-time restore from the archive of a primary', () => {
  const temp = useTempDir();

  it('restores random positions of a workload with schema changes and VACUUM byte for byte, across primary restarts', async () => {
    const seed = Date.now() % 100_000;
    const random = seededRandom(seed);
    const db = path.join(temp.dir, 'app.db');
    const archive = path.join(temp.dir, 'archive');
    const options = { path: db, archive: { target: archive, maxLagMs: 200, snapshotIntervalMs: 300 } };
    let primary: Primary | undefined = await startPrimary(options);
    try {
      /** Every position the primary answered, by txid: what a restore to that txid must reach. */
      const positions = new Map<bigint, string>();
      /** The primary's file at some of them, saved while it was stopped. */
      const saved = new Map<bigint, Buffer>();
      const record = (position: string): void => void positions.set(txidOf(position), position);
      record(await execute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)'));
      for (let i = 0; i < 240; i++) {
        const [sql, args] = workloadStatement(random(), i);
        record(await execute(primary.url, sql, args));
        if (random() < 0.02 || i === 239) {
          // Stopped, saved, started again: the archiver closes with the primary and resumes.
          const position = await untilArchived(primary.url);
          await primary.close();
          primary = undefined;
          saved.set(txidOf(position), await fileBytes(db));
          primary = await startPrimary(options);
        }
        if (random() < 0.05) await new Promise((r) => setTimeout(r, 350));
      }
      await untilArchived(primary.url);
      await primary.close();
      primary = undefined;

      const catalog = await ArchiveCatalog.read(openTarget(archive));
      expect(catalog.generations, `seed ${seed}`).toHaveLength(1);
      expect(catalog.generations[0]!.snapshots.length, 'periodic snapshots were taken').toBeGreaterThan(1);

      expect(saved.size).toBeGreaterThanOrEqual(2);
      for (const [txid, bytes] of saved) {
        const to = path.join(temp.dir, `saved-${txid}.db`);
        const result = await restore({ from: archive, to, txid });
        expect(result.position.toString(), `seed ${seed}`).toBe(positions.get(txid));
        expect(fs.readFileSync(to).equals(bytes), `txid ${txid} (seed ${seed}) differs from the primary's file`).toBe(
          true,
        );
      }
      const txids = [...positions.keys()];
      for (let n = 0; n < 12; n++) {
        const txid = txids[Math.floor(random() * txids.length)]!;
        const to = path.join(temp.dir, `random-${n}.db`);
        const result = await restore({ from: archive, to, txid });
        expect(result.position.toString(), `txid ${txid}, seed ${seed}`).toBe(positions.get(txid));
        expect(databaseChecksum(to)).toBe(Position.parse(positions.get(txid)!).checksum);
        expect(fs.existsSync(`${to}-wal`)).toBe(false);
      }
    } finally {
      await primary?.close();
    }
  });
});
