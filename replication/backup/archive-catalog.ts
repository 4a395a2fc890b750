import { hex16 } from '../log/position.ts';
import { ArchiveError } from './archive-error.ts';
import { parseGenerationName, parseObjectName, type BatchName, type SnapshotName } from './archive-names.ts';
import type { BackupTarget } from './backup-target.ts';

/** A record batch object of a generation: its name in the archive and what the name says. */
export interface BatchEntry {
  readonly object: string;
  readonly batch: BatchName;
}

/** A snapshot object of a generation: its name in the archive and what the name says. */
export interface SnapshotEntry {
  readonly object: string;
  readonly snapshot: SnapshotName;
}

/**
 * What one generation of an archive holds, from the names of its objects: snapshots in txid
 * order, record batches in order of first txid (the longest first where compaction left
 * overlapping ones).
 */
export interface GenerationEntry {
  readonly name: string;
  readonly dbId: string;
  readonly createdAt: number;
  readonly snapshots: readonly SnapshotEntry[];
  readonly batches: readonly BatchEntry[];
}

/**
 * A run of restorable points: every txid from the first snapshot's to `lastTxid`, reached from
 * `snapshots` (in txid order) through unbroken record batches (`batches`, in order).
 */
export interface RestorableRange {
  readonly snapshots: readonly SnapshotEntry[];
  readonly batches: readonly BatchEntry[];
  readonly lastTxid: bigint;
  /** Commit time of `lastTxid` (the snapshot's `asOf` when no record follows it). */
  readonly lastTime: number;
}

/**
 * How to rebuild a generation's database at `txid`: the snapshot to start from and the batches
 * whose records lead from it to `txid` (the last one may go further).
 */
export interface RestorePlan {
  readonly generation: GenerationEntry;
  readonly snapshot: SnapshotEntry;
  readonly batches: readonly BatchEntry[];
  readonly txid: bigint;
}

/** The batches that continue from txid `from`: the longest one starting right after it, and so on. */
function chain(generation: GenerationEntry, from: bigint, upTo?: bigint): BatchEntry[] {
  const byFirst = new Map<bigint, BatchEntry>();
  for (const entry of generation.batches) {
    const known = byFirst.get(entry.batch.firstTxid);
    if (known === undefined || entry.batch.lastTxid > known.batch.lastTxid) byFirst.set(entry.batch.firstTxid, entry);
  }
  const out: BatchEntry[] = [];
  let next = from + 1n;
  for (;;) {
    if (upTo !== undefined && next > upTo) return out;
    // A compacted batch may start before `next` and cover it: the longest that does is taken.
    let entry = byFirst.get(next);
    if (entry === undefined) {
      for (const candidate of generation.batches)
        if (candidate.batch.firstTxid < next && candidate.batch.lastTxid >= next) {
          if (entry === undefined || candidate.batch.lastTxid > entry.batch.lastTxid) entry = candidate;
        }
    }
    if (entry === undefined) return out;
    out.push(entry);
    next = entry.batch.lastTxid + 1n;
  }
}

/**
 * An archive's table of contents, read from the names of its objects alone (one `list`): its
 * generations, what each can restore, and the plan for a restore. Objects whose names are not
 * an archive's are ignored.
 *
 * @example
 * const catalog = await ArchiveCatalog.read(openTarget('/mnt/backup'));
 * const plan = catalog.plan(catalog.latest()!, 1234n);
 */
export class ArchiveCatalog {
  /** Oldest first. */
  readonly generations: readonly GenerationEntry[];

  private constructor(generations: readonly GenerationEntry[]) {
    this.generations = generations;
  }

  /** Lists `target` (or only the generations of `dbId`) and sorts what it holds. */
  static async read(target: BackupTarget, dbId?: string): Promise<ArchiveCatalog> {
    const generations = new Map<string, { snapshots: SnapshotEntry[]; batches: BatchEntry[] }>();
    for (const object of await target.list(dbId === undefined ? '' : `${dbId}-`)) {
      const parsed = parseObjectName(object);
      if (parsed === undefined) continue;
      let entry = generations.get(parsed.generation);
      if (entry === undefined) generations.set(parsed.generation, (entry = { snapshots: [], batches: [] }));
      if (parsed.kind === 'batch') entry.batches.push({ object, batch: parsed.batch });
      else entry.snapshots.push({ object, snapshot: parsed.snapshot });
    }
    const list: GenerationEntry[] = [];
    for (const [name, { snapshots, batches }] of generations) {
      const { dbId: id, createdAt } = parseGenerationName(name)!;
      snapshots.sort((a, b) => compare(a.snapshot.position.txid, b.snapshot.position.txid));
      batches.sort(
        (a, b) => compare(a.batch.firstTxid, b.batch.firstTxid) || compare(b.batch.lastTxid, a.batch.lastTxid),
      );
      list.push({ name, dbId: id, createdAt, snapshots, batches });
    }
    list.sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1));
    return new ArchiveCatalog(list);
  }

  /** The generation named `name`; throws {@link ArchiveError} `NOT_RESTORABLE` if there is none. */
  generation(name: string): GenerationEntry {
    const found = this.generations.find((g) => g.name === name);
    if (found === undefined) throw new ArchiveError('NOT_RESTORABLE', `the archive has no generation ${name}`);
    return found;
  }

  /** The newest generation that can restore anything (has a snapshot), or `undefined`. */
  latest(): GenerationEntry | undefined {
    return this.generations.filter((g) => g.snapshots.length > 0).at(-1);
  }

  /**
   * The generation's restorable ranges, oldest first; a range that a later snapshot's range
   * covers entirely is left out.
   */
  ranges(generation: GenerationEntry): RestorableRange[] {
    const ranges: RestorableRange[] = [];
    for (const snapshot of generation.snapshots) {
      const from = snapshot.snapshot.position.txid;
      const previous = ranges.at(-1);
      // A snapshot inside (or right after) the previous run continues it: one run of points.
      const joins = previous !== undefined && previous.lastTxid + 1n >= from;
      const batches = chain(generation, joins ? previous.lastTxid : from);
      const last = batches.at(-1);
      if (joins) {
        ranges[ranges.length - 1] = {
          snapshots: [...previous.snapshots, snapshot],
          batches: [...previous.batches, ...batches],
          lastTxid: last?.batch.lastTxid ?? previous.lastTxid,
          lastTime: last?.batch.lastTime ?? Math.max(previous.lastTime, snapshot.snapshot.asOf),
        };
      } else {
        ranges.push({
          snapshots: [snapshot],
          batches,
          lastTxid: last?.batch.lastTxid ?? from,
          lastTime: last?.batch.lastTime ?? snapshot.snapshot.asOf,
        });
      }
    }
    return ranges;
  }

  /**
   * The newest txid the generation holds (a snapshot's or a batch's last), or `undefined` without
   * a snapshot. Whether it can be restored is {@link plan}'s to say: a batch missing on the way
   * is an error, never a silent restore to an older point.
   */
  newestTxid(generation: GenerationEntry): bigint | undefined {
    if (generation.snapshots.length === 0) return undefined;
    let newest = generation.snapshots.at(-1)!.snapshot.position.txid;
    for (const { batch } of generation.batches) if (batch.lastTxid > newest) newest = batch.lastTxid;
    return newest;
  }

  /**
   * How to restore `generation` to `txid`: from the newest snapshot at or before it that an
   * unbroken run of batches leads from. Throws {@link ArchiveError} `NOT_RESTORABLE` if no
   * snapshot precedes it, `ARCHIVE_MISSING` naming the first missing record batch if the records
   * from the newest snapshot before it do not reach it (both say what the generation can restore).
   */
  plan(generation: GenerationEntry, txid: bigint): RestorePlan {
    for (const snapshot of [...generation.snapshots].reverse()) {
      const from = snapshot.snapshot.position.txid;
      if (from > txid) continue;
      const batches = chain(generation, from, txid);
      const reach = batches.at(-1)?.batch.lastTxid ?? from;
      if (reach >= txid) return { generation, snapshot, batches, txid };
    }
    const what = this.ranges(generation)
      .map((r) => `${r.snapshots[0]!.snapshot.position.txid}..${r.lastTxid}`)
      .join(', ');
    const can = `it can restore ${what === '' ? 'nothing' : `txids ${what}`}`;
    const start = generation.snapshots.filter((s) => s.snapshot.position.txid <= txid).at(-1);
    if (start === undefined)
      throw new ArchiveError(
        'NOT_RESTORABLE',
        `generation ${generation.name} has no snapshot at or before txid ${txid}: ${can}`,
      );
    // The first record missing on the way from the newest snapshot before it, named as the object would be.
    const reach =
      chain(generation, start.snapshot.position.txid, txid).at(-1)?.batch.lastTxid ?? start.snapshot.position.txid;
    const missing = `${generation.name}/records/${hex16(reach + 1n)}-…`;
    throw new ArchiveError(
      'ARCHIVE_MISSING',
      `generation ${generation.name} cannot restore txid ${txid}: the record batch ${missing} (txid ${reach + 1n}) is missing; ${can}`,
      missing,
    );
  }

  /**
   * The newest point of `generation` at or before `time` (ms), from names only: a snapshot's
   * `asOf`, or a batch committed entirely by then (`exact: true`); or the batch whose records
   * straddle it (`exact: false`: the caller reads it for the record). `undefined` if none.
   */
  pointAt(
    generation: GenerationEntry,
    time: number,
  ): { readonly txid: bigint; readonly straddling?: BatchEntry } | undefined {
    let best: { txid: bigint; straddling?: BatchEntry } | undefined;
    const offer = (txid: bigint, straddling?: BatchEntry): void => {
      if (best === undefined || txid > best.txid) best = straddling === undefined ? { txid } : { txid, straddling };
    };
    for (const range of this.ranges(generation)) {
      for (const { snapshot } of range.snapshots) if (snapshot.asOf <= time) offer(snapshot.position.txid);
      for (const entry of range.batches) {
        if (entry.batch.lastTime <= time) offer(entry.batch.lastTxid);
        else if (entry.batch.firstTime <= time) offer(entry.batch.firstTxid, entry);
      }
    }
    return best;
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
