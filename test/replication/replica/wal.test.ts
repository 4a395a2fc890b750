import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { Replica } from '../../../replication/replica/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { captureUpdates } from './updates.ts';

const PAGE = 4096;
const FRAME = PAGE + 24;
/** Replica checkpoints every 1000 frames; a record here writes one or two. */
const MAX_WAL_BYTES = 32 + 1100 * FRAME;

function walSize(path: string): number {
  return fs.statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
}

describe('the WAL of a replica', () => {
  const temp = useTempDir();

  it('stays between applies when no reader is open, and is checkpointed away on close', async () => {
    const primary = await captureUpdates(fs.realpathSync(temp.dir), 20);
    const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
    const wal = `${primary.replicaPath}-wal`;
    for (const record of primary.records) {
      replica.apply(record);
      expect(fs.existsSync(wal)).toBe(true);
    }
    replica.close();
    expect(fs.existsSync(wal)).toBe(false);
    expect(Buffer.compare(fs.readFileSync(primary.replicaPath), fs.readFileSync(primary.primaryPath))).toBe(0);
  });

  for (const withReader of [false, true]) {
    it(`stays bounded over 3000 applies ${withReader ? 'while a long-lived reader reads between them' : 'with no reader open'}`, async () => {
      const primary = await captureUpdates(fs.realpathSync(temp.dir), 3000);
      const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
      const reader = withReader ? await open(primary.replicaPath) : undefined;
      let largest = 0;
      try {
        for (const record of primary.records) {
          replica.apply(record);
          largest = Math.max(largest, walSize(primary.replicaPath));
          if (reader !== undefined) expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(200);
        }
      } finally {
        reader?.close();
        replica.close();
      }
      expect(largest).toBeGreaterThan(100 * FRAME);
      expect(largest).toBeLessThanOrEqual(MAX_WAL_BYTES);
      expect(Buffer.compare(fs.readFileSync(primary.replicaPath), fs.readFileSync(primary.primaryPath))).toBe(0);
    });
  }
});
