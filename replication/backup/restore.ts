import fs from 'node:fs';
import path from 'node:path';
import { syncDirectory } from '../log/file-io.ts';
import { databaseChecksum, Position, PositionMismatchError, type TxRecord } from '../log/index.ts';
import { Replica } from '../replica/replica.ts';
import { ArchiveCatalog, type BatchEntry, type GenerationEntry, type RestorePlan } from './archive-catalog.ts';
import { ArchiveError } from './archive-error.ts';
import type { BackupTarget } from './backup-target.ts';
import { openTarget } from './open-target.ts';
import { decodeRecordBatch } from './record-batch.ts';
import { parseSnapshotHeader, SNAPSHOT_HEADER_SIZE } from './snapshot-header.ts';

/**
 * Options of {@link restore}.
 *
 * @example
 * const options: RestoreOptions = { from: 's3://backups/app', to: 'app.db', time: new Date('2026-12-08T03:00:00Z') };
 */
export interface RestoreOptions {
  /** The archive: a directory, `s3://bucket/prefix`, or a {@link BackupTarget}. */
  readonly from: string | BackupTarget;
  /** The database file to create; it must not exist. */
  readonly to: string;
  /** Restore to just after this transaction (default: the newest the archive holds). */
  readonly txid?: bigint;
  /** Restore to the last transaction committed at or before this time. */
  readonly time?: Date;
  /** The generation to restore from (default: the newest that holds the point). */
  readonly generation?: string;
}

/**
 * What {@link restore} made: the database `to` at `position`, from `generation`, rebuilt from
 * the snapshot `snapshot` and `records` records after it; `committedAt` is the commit time of
 * its last transaction (ms), when a record of it was applied.
 */
export interface RestoreResult {
  readonly position: Position;
  readonly generation: string;
  readonly snapshot: string;
  readonly records: number;
  readonly committedAt: number | undefined;
}

/** Records applied in one commit of the restoring replica. */
const APPLY_RECORDS = 256;

async function fetchBatch(target: BackupTarget, entry: BatchEntry, dbId: string): Promise<TxRecord[]> {
  const bytes = await target.get(entry.object);
  if (bytes === undefined)
    throw new ArchiveError('ARCHIVE_MISSING', `archive object ${entry.object} is missing`, entry.object);
  return decodeRecordBatch(bytes, entry.object, entry.batch, dbId);
}

/**
 * Rebuilds a database from an archive made by the archiver (`startPrimary({ archive })`, FORMAT.md
 * "Backup archive"), as it was after transaction `txid`, or at `time`, or at the newest point:
 * the newest snapshot at or before it, then the records up to it, applied by a {@link Replica}
 * (the same checks and the same page writes as a replica's). The result is byte-identical to the
 * primary's file at that position, which the database checksum confirms before anything appears at
 * `to`: the work happens in `<to>.restoring`, renamed to `to` only once verified (and removed if
 * anything fails).
 *
 * Throws a TypeError for bad options or an existing `to`; {@link ArchiveError} `NOT_RESTORABLE` if
 * the archive cannot reach the point, `ARCHIVE_MISSING` / `ARCHIVE_DAMAGED` / `ARCHIVE_VERSION`
 * naming the object at fault.
 *
 * @example
 * const { position } = await restore({ from: '/mnt/backup/app', to: 'app.db', txid: 1234n });
 */
export async function restore(options: RestoreOptions): Promise<RestoreResult> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected the "options" argument to be an object');
  const { to } = options;
  if (typeof to !== 'string' || to === '' || to === ':memory:')
    throw new TypeError('Expected the "to" option to be a database file path');
  if (options.txid !== undefined && (typeof options.txid !== 'bigint' || options.txid < 0n))
    throw new TypeError('Expected the "txid" option to be a non-negative bigint');
  if (options.time !== undefined && (!(options.time instanceof Date) || Number.isNaN(options.time.getTime())))
    throw new TypeError('Expected the "time" option to be a valid Date');
  if (options.txid !== undefined && options.time !== undefined)
    throw new TypeError('Expected at most one of the "txid" and "time" options');
  for (const file of [to, `${to}-wal`])
    if (fs.existsSync(file))
      throw new TypeError(`Expected the "to" option to name a file that does not exist: ${file} exists`);
  const target = openTarget(options.from);

  const catalog = await ArchiveCatalog.read(target);
  const cache = new Map<string, TxRecord[]>();
  const batch = async (entry: BatchEntry, dbId: string): Promise<TxRecord[]> => {
    let records = cache.get(entry.object);
    if (records === undefined) cache.set(entry.object, (records = await fetchBatch(target, entry, dbId)));
    return records;
  };
  const plan = await choosePlan(catalog, options, batch, target.location);

  const temp = `${to}.restoring`;
  const leftovers = ['', '-wal', '-shm', '-position'].map((suffix) => `${temp}${suffix}`);
  for (const file of leftovers) fs.rmSync(file, { force: true });
  let replica: Replica | undefined;
  try {
    const snapshot = await downloadSnapshot(target, plan, temp);
    replica = await Replica.open(temp, { from: snapshot, sync: false });
    let applied = 0;
    let committedAt: number | undefined;
    for (const entry of plan.batches) {
      const records = (await batch(entry, plan.generation.dbId)).filter(
        (r) => r.txid > replica!.position.txid && r.txid <= plan.txid,
      );
      try {
        for (let i = 0; i < records.length; i += APPLY_RECORDS) replica.applyBatch(records.slice(i, i + APPLY_RECORDS));
      } catch (error) {
        if (!(error instanceof PositionMismatchError)) throw error;
        throw new ArchiveError(
          'ARCHIVE_DAMAGED',
          `archive object ${entry.object} does not continue the database at ${replica.position} (${error.message})`,
          entry.object,
          error,
        );
      }
      cache.delete(entry.object);
      applied += records.length;
      if (records.length > 0) committedAt = records.at(-1)!.timestamp;
    }
    const position = replica.position;
    replica.close();
    replica = undefined;
    fs.rmSync(`${temp}-position`, { force: true });
    const checksum = databaseChecksum(temp);
    if (position.txid !== plan.txid || checksum !== position.checksum) {
      throw new ArchiveError(
        'ARCHIVE_DAMAGED',
        `the restored database is at ${new Position(position.txid, checksum)}, not at txid ${plan.txid} of ${position}`,
      );
    }
    const fd = fs.openSync(temp, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, to);
    syncDirectory(path.dirname(path.resolve(to)));
    return {
      position,
      generation: plan.generation.name,
      snapshot: plan.snapshot.object,
      records: applied,
      committedAt,
    };
  } finally {
    replica?.close();
    for (const file of leftovers) fs.rmSync(file, { force: true });
  }
}

/** The generation and point the options ask for, and how to get there. */
async function choosePlan(
  catalog: ArchiveCatalog,
  options: RestoreOptions,
  batch: (entry: BatchEntry, dbId: string) => Promise<TxRecord[]>,
  location: string,
): Promise<RestorePlan> {
  const candidates: GenerationEntry[] =
    options.generation !== undefined ? [catalog.generation(options.generation)] : [...catalog.generations].reverse();
  if (candidates.every((g) => g.snapshots.length === 0))
    throw new ArchiveError('NOT_RESTORABLE', `the archive at ${location} holds no snapshot: nothing can be restored`);
  if (options.time !== undefined) {
    const time = options.time.getTime();
    for (const generation of candidates) {
      const point = catalog.pointAt(generation, time);
      if (point === undefined) continue;
      let txid = point.txid;
      if (point.straddling !== undefined)
        for (const record of await batch(point.straddling, generation.dbId))
          if (record.timestamp <= time) txid = record.txid;
      return catalog.plan(generation, txid);
    }
    throw new ArchiveError(
      'NOT_RESTORABLE',
      `the archive at ${location} holds no point at or before ${options.time.toISOString()}`,
    );
  }
  const generation = candidates.find((g) => g.snapshots.length > 0)!;
  return catalog.plan(generation, options.txid ?? catalog.newestTxid(generation)!);
}

/**
 * Writes the plan's snapshot's pages to `file`, fsynced, and checks them: their number and their
 * database checksum must be what the header says. Returns its position.
 */
async function downloadSnapshot(target: BackupTarget, plan: RestorePlan, file: string): Promise<Position> {
  const { object } = plan.snapshot;
  const body = await target.read(object);
  if (body === undefined) throw new ArchiveError('ARCHIVE_MISSING', `archive object ${object} is missing`, object);
  const out = fs.openSync(file, 'w');
  let header: ReturnType<typeof parseSnapshotHeader> | undefined;
  let head = Buffer.alloc(0);
  let written = 0;
  try {
    for await (const chunk of body) {
      let data = chunk;
      if (header === undefined) {
        head = Buffer.concat([head, chunk]);
        if (head.length < SNAPSHOT_HEADER_SIZE) continue;
        header = parseSnapshotHeader(head, object, plan.snapshot.snapshot, plan.generation.dbId);
        data = head.subarray(SNAPSHOT_HEADER_SIZE);
      }
      for (let done = 0; done < data.length;) done += fs.writeSync(out, data, done, data.length - done, written + done);
      written += data.length;
    }
    if (header === undefined) parseSnapshotHeader(head, object, plan.snapshot.snapshot, plan.generation.dbId);
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  const expected = header!.pageCount * header!.pageSize;
  if (written !== expected)
    throw new ArchiveError(
      'ARCHIVE_DAMAGED',
      `archive object ${object} is damaged: it holds ${written} bytes of pages, its header says ${expected}`,
      object,
    );
  const checksum = databaseChecksum(file, { pageSize: header!.pageSize });
  if (checksum !== header!.position.checksum)
    throw new ArchiveError(
      'ARCHIVE_DAMAGED',
      `archive object ${object} is damaged: its pages' checksum is ${checksum.toString(16).padStart(16, '0')}, its position ${header!.position}`,
      object,
    );
  return header!.position;
}
