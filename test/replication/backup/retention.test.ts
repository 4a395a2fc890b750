import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveCatalog, ArchiveError, openTarget, restore, startPrimary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { execute, fileBytes, untilArchived } from './backup-helpers.ts';

describe('archive retention and compaction', () => {
  const temp = useTempDir();

  it('keeps the newest snapshots and what they need, merges old batches, drops older generations, and the newest point restores', async () => {
    const archive = path.join(temp.dir, 'archive');
    // An older database's generation in the same archive.
    const other = await startPrimary({
      path: path.join(temp.dir, 'other.db'),
      archive: { target: archive, log: () => {} },
    });
    await execute(other.url, 'CREATE TABLE o (v)');
    await untilArchived(other.url);
    await other.close();
    const otherGeneration = (await ArchiveCatalog.read(openTarget(archive))).generations[0]!.name;

    const db = path.join(temp.dir, 'app.db');
    const primary = await startPrimary({
      path: db,
      archive: {
        target: archive,
        maxLagMs: 100,
        snapshotIntervalMs: 400,
        retainSnapshots: 2,
        retainMs: 1,
        compactAfterMs: 1,
        log: () => {},
      },
    });
    await execute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const started = Date.now();
    while (Date.now() - started < 2500) {
      await execute(primary.url, 'INSERT INTO t (v) VALUES (randomblob(500))');
      await new Promise((r) => setTimeout(r, 5));
    }
    await untilArchived(primary.url);
    await primary.close();

    const catalog = await ArchiveCatalog.read(openTarget(archive));
    expect(catalog.generations.map((g) => g.name)).not.toContain(otherGeneration);
    expect(catalog.generations).toHaveLength(1);
    const generation = catalog.generations[0]!;
    expect(generation.snapshots).toHaveLength(2);
    const oldest = generation.snapshots[0]!.snapshot.position.txid;
    expect(generation.batches.every((b) => b.batch.lastTxid > oldest)).toBe(true);
    // Merged: a flush holds what arrived within half the lag (50 ms) and during its upload; a
    // compacted batch holds the flushes since the snapshot before.
    const spans = generation.batches.map((b) => b.batch.lastTime - b.batch.firstTime);
    expect(Math.max(...spans), `batch spans ${spans.join(', ')} ms`).toBeGreaterThan(250);
    expect(catalog.ranges(generation)).toHaveLength(1);

    const newest = path.join(temp.dir, 'newest.db');
    await restore({ from: archive, to: newest });
    expect(fs.readFileSync(newest).equals(await fileBytes(db))).toBe(true);
    const kept = await restore({ from: archive, to: path.join(temp.dir, 'kept.db'), txid: oldest + 1n });
    expect(kept.position.txid).toBe(oldest + 1n);
    const gone = await restore({ from: archive, to: path.join(temp.dir, 'gone.db'), txid: oldest - 1n }).catch(
      (e: unknown) => e,
    );
    expect(gone).toBeInstanceOf(ArchiveError);
    expect((gone as ArchiveError).code).toBe('NOT_RESTORABLE');
  });
});
