import type { TxRecord } from '../log/index.ts';
import { ArchiveCatalog, type BatchEntry } from './archive-catalog.ts';
import { batchName, parseGenerationName } from './archive-names.ts';
import type { BackupTarget } from './backup-target.ts';
import { decodeRecordBatch, encodeRecordBatch, RECORD_BATCH_HEADER_SIZE } from './record-batch.ts';

/**
 * What an archive keeps ({@link applyRetention}): a snapshot is kept while it is one of the
 * newest `snapshots` or younger than `maxAgeMs`, with the records that lead on from it; record
 * batches older than `compactAfterMs` are merged into objects of up to `compactBytes`.
 *
 * @example
 * const policy: RetentionPolicy = { snapshots: 2, maxAgeMs: 7 * 86_400_000, compactAfterMs: 600_000, compactBytes: 64 << 20 };
 */
export interface RetentionPolicy {
  readonly snapshots: number;
  readonly maxAgeMs: number;
  readonly compactAfterMs: number;
  readonly compactBytes: number;
}

/** What one {@link applyRetention} did. */
export interface RetentionReport {
  readonly deleted: number;
  readonly merged: number;
}

/**
 * Deletes what the policy no longer keeps and compacts old record batches, in the generation
 * `current` (the one being written) and in older generations of the same archive:
 *
 * - in `current`, the snapshots older than the oldest one kept, and the batches whose records
 *   all precede it; the newest snapshot and everything after it (the newest restorable point) is
 *   never deleted;
 * - an older generation goes whole once its newest point is older than `maxAgeMs`;
 * - consecutive batches of `current` committed before `now - compactAfterMs` and after its
 *   oldest kept snapshot are rewritten as one object (published before the parts are deleted, so
 *   a crash in between leaves overlapping objects, which restore reads correctly).
 *
 * @example
 * await applyRetention(target, generationName(generation), policy, Date.now());
 */
export async function applyRetention(
  target: BackupTarget,
  current: string,
  policy: RetentionPolicy,
  now: number,
): Promise<RetentionReport> {
  const catalog = await ArchiveCatalog.read(target);
  let deleted = 0;
  let merged = 0;
  const remove = async (object: string): Promise<void> => {
    await target.delete(object);
    deleted++;
  };
  const currentCreatedAt = parseGenerationName(current)?.createdAt ?? now;
  for (const generation of catalog.generations) {
    if (generation.name === current) continue;
    const newest = Math.max(
      generation.createdAt,
      ...generation.snapshots.map((s) => s.snapshot.asOf),
      ...generation.batches.map((b) => b.batch.lastTime),
    );
    // A newer generation than this archiver's is another archiver's (a newer primary's) to manage.
    if (generation.createdAt > currentCreatedAt) continue;
    if (now - newest > policy.maxAgeMs) {
      for (const entry of [...generation.batches, ...generation.snapshots]) await remove(entry.object);
    }
  }
  const generation = catalog.generations.find((g) => g.name === current);
  if (generation === undefined || generation.snapshots.length === 0) return { deleted, merged };

  const snapshots = generation.snapshots;
  let oldestKept = snapshots.length - 1;
  while (
    oldestKept > 0 &&
    (snapshots.length - oldestKept < policy.snapshots ||
      now - snapshots[oldestKept - 1]!.snapshot.asOf <= policy.maxAgeMs)
  )
    oldestKept--;
  const keepFrom = snapshots[oldestKept]!.snapshot.position.txid;
  for (const entry of snapshots.slice(0, oldestKept)) await remove(entry.object);
  for (const entry of generation.batches) if (entry.batch.lastTxid <= keepFrom) await remove(entry.object);

  const old = generation.batches.filter(
    (b) => b.batch.firstTxid > keepFrom && now - b.batch.lastTime > policy.compactAfterMs,
  );
  for (const run of consecutiveRuns(old)) {
    let group: BatchEntry[] = [];
    let records: { bytes: Uint8Array; record: TxRecord }[] = [];
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (group.length >= 2) {
        const first = records[0]!.record;
        const last = records.at(-1)!.record;
        const name = {
          firstTxid: first.txid,
          lastTxid: last.txid,
          firstTime: first.timestamp,
          lastTime: last.timestamp,
        };
        await target.put(batchName(generation.name, name), encodeRecordBatch(records));
        merged++;
        for (const entry of group) await remove(entry.object);
      }
      group = [];
      records = [];
      bytes = 0;
    };
    for (const entry of run) {
      const object = await target.get(entry.object);
      if (object === undefined) break;
      // Decoded (and so checked) before it is copied: damage is never compacted into a new object.
      records.push(...splitRecordBatch(object, entry, generation.dbId));
      group.push(entry);
      bytes += object.length;
      if (bytes >= policy.compactBytes) await flush();
    }
    await flush();
  }
  return { deleted, merged };
}

/** The records of a batch object with their encoded bytes (checked by {@link decodeRecordBatch}). */
function splitRecordBatch(
  object: Uint8Array,
  entry: BatchEntry,
  dbId: string,
): { bytes: Uint8Array; record: TxRecord }[] {
  const decoded = decodeRecordBatch(object, entry.object, entry.batch, dbId);
  const view = new DataView(object.buffer, object.byteOffset, object.length);
  const out: { bytes: Uint8Array; record: TxRecord }[] = [];
  let at = RECORD_BATCH_HEADER_SIZE;
  for (const record of decoded) {
    const length = view.getUint32(at);
    out.push({ bytes: object.subarray(at + 4, at + 4 + length), record });
    at += 4 + length;
  }
  return out;
}

/** Runs of batches, each starting right after the one before. */
function consecutiveRuns(batches: readonly BatchEntry[]): BatchEntry[][] {
  const runs: BatchEntry[][] = [];
  for (const entry of batches) {
    const run = runs.at(-1);
    if (run !== undefined && entry.batch.firstTxid === run.at(-1)!.batch.lastTxid + 1n) run.push(entry);
    else runs.push([entry]);
  }
  return runs;
}
