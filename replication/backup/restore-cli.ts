import { parseArgs } from 'node:util';
import { ArchiveCatalog } from './archive-catalog.ts';
import { openTarget } from './open-target.ts';
import { restore } from './restore.ts';

/** The restore command's usage line. */
export const RESTORE_USAGE =
  'wasmlite restore --from <dir | s3://bucket/prefix> --to <file> [--txid <n> | --time <ISO-8601>] [--generation <name>]\n' +
  '       wasmlite restore --from <dir | s3://bucket/prefix> --list';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What an archive can restore, as `restore --list` prints it: per generation, each run of
 * restorable txids with the commit times at its ends and the snapshots it starts from.
 *
 * @example
 * console.log(await listArchive('/mnt/backup/app'));
 */
export async function listArchive(from: string): Promise<string> {
  const target = openTarget(from);
  const catalog = await ArchiveCatalog.read(target);
  const lines: string[] = [];
  for (const generation of catalog.generations) {
    lines.push(`generation ${generation.name} (database ${generation.dbId}, begun ${iso(generation.createdAt)})`);
    const ranges = catalog.ranges(generation);
    if (ranges.length === 0) lines.push('  nothing restorable (no snapshot)');
    for (const range of ranges) {
      const first = range.snapshots[0]!.snapshot;
      const snapshots = range.snapshots.map((s) => s.snapshot.position.txid).join(', ');
      lines.push(
        `  txid ${first.position.txid}..${range.lastTxid}  ${iso(first.asOf)} .. ${iso(range.lastTime)}  ` +
          `snapshots at txid ${snapshots}; ${range.batches.length} record batches`,
      );
    }
  }
  if (lines.length === 0) lines.push(`the archive at ${target.location} is empty`);
  return lines.join('\n');
}

/**
 * `npx wasmlite restore …` (see {@link RESTORE_USAGE}): restores, or lists with `--list`, and
 * prints what it did. Throws a TypeError for bad flags and the restore's errors (an
 * `ArchiveError` names the object at fault); the CLI prints them and exits with 1.
 *
 * @example
 * await runRestoreCli(['--from', '/mnt/backup/app', '--to', 'app.db', '--time', '2026-12-08T03:00:00Z']);
 */
export async function runRestoreCli(argv: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      txid: { type: 'string' },
      time: { type: 'string' },
      generation: { type: 'string' },
      list: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0 || values.from === undefined) throw new TypeError(`usage: ${RESTORE_USAGE}`);
  if (values.list) {
    console.log(await listArchive(values.from));
    return;
  }
  if (values.to === undefined) throw new TypeError(`Expected --to <file>; usage: ${RESTORE_USAGE}`);
  if (values.txid !== undefined && !/^\d+$/.test(values.txid))
    throw new TypeError('Expected --txid to be a non-negative integer');
  let time: Date | undefined;
  if (values.time !== undefined) {
    time = new Date(values.time);
    if (!/^\d{4}-\d\d-\d\d/.test(values.time) || Number.isNaN(time.getTime()))
      throw new TypeError(`Expected --time to be an ISO-8601 time like 2026-12-08T03:00:00Z, got ${values.time}`);
  }
  const result = await restore({
    from: values.from,
    to: values.to,
    ...(values.txid === undefined ? {} : { txid: BigInt(values.txid) }),
    ...(time === undefined ? {} : { time }),
    ...(values.generation === undefined ? {} : { generation: values.generation }),
  });
  const when = result.committedAt === undefined ? '' : `, committed ${iso(result.committedAt)}`;
  const snapshotTxid = BigInt(`0x${result.snapshot.split('/').pop()!.slice(0, 16)}`);
  console.log(
    `restored ${values.to} at ${result.position}${when} from generation ${result.generation} ` +
      `(snapshot at txid ${snapshotTxid} + ${result.records} records)`,
  );
}
