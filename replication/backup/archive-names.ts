import { Position } from '../log/index.ts';
import { hex16 } from '../log/position.ts';

// The names of an archive's objects (FORMAT.md, "Backup archive"). Every name says what its
// object holds, so that listing an archive is enough to know what it can restore.

const GENERATION = /^([0-9a-f]{32})-([0-9a-f]{16})$/;
const BATCH = /^([0-9a-f]{16})-([0-9a-f]{16})-([0-9a-f]{16})-([0-9a-f]{16})\.wlrb$/;
const SNAPSHOT = /^([0-9a-f]{16})-([0-9a-f]{16})-([0-9a-f]{16})\.wlsn$/;

/**
 * A generation: one unbroken history of one database (`dbId`), begun at `createdAt` (ms) by the
 * archiver that found no generation it could continue. Its objects live under `<name>/`.
 *
 * @example
 * generationName({ dbId: '8c5e…', createdAt: 1700000000000 }); // '8c5e…-0000018bcfe56800'
 */
export interface Generation {
  readonly dbId: string;
  readonly createdAt: number;
}

/** A record batch object: records `firstTxid..lastTxid`, committed from `firstTime` to `lastTime` (ms). */
export interface BatchName {
  readonly firstTxid: bigint;
  readonly lastTxid: bigint;
  readonly firstTime: number;
  readonly lastTime: number;
}

/** A snapshot object: the database at `position`, as it was at `asOf` (ms) at the latest. */
export interface SnapshotName {
  readonly position: Position;
  readonly asOf: number;
}

const time = (ms: number): string => hex16(BigInt(ms));
const fromHex = (hex: string): bigint => BigInt(`0x${hex}`);

/** `<dbId>-<createdAt as 16 hex digits>`. */
export function generationName(generation: Generation): string {
  return `${generation.dbId}-${time(generation.createdAt)}`;
}

/** The generation a directory name stands for, or `undefined`. */
export function parseGenerationName(name: string): Generation | undefined {
  const match = GENERATION.exec(name);
  return match === null ? undefined : { dbId: match[1]!, createdAt: Number(fromHex(match[2]!)) };
}

/** `<generation>/records/<firstTxid>-<lastTxid>-<firstTime>-<lastTime>.wlrb`, each 16 hex digits. */
export function batchName(generation: string, batch: BatchName): string {
  return `${generation}/records/${hex16(batch.firstTxid)}-${hex16(batch.lastTxid)}-${time(batch.firstTime)}-${time(batch.lastTime)}.wlrb`;
}

/** `<generation>/snapshots/<txid>-<checksum>-<asOf>.wlsn`, each 16 hex digits. */
export function snapshotName(generation: string, snapshot: SnapshotName): string {
  return `${generation}/snapshots/${snapshot.position.toBookmark()}-${time(snapshot.asOf)}.wlsn`;
}

/**
 * What an object name of an archive stands for: a record batch or a snapshot of a generation,
 * or `undefined` for anything else (which archive readers ignore).
 */
export function parseObjectName(
  name: string,
):
  | { readonly kind: 'batch'; readonly generation: string; readonly batch: BatchName }
  | { readonly kind: 'snapshot'; readonly generation: string; readonly snapshot: SnapshotName }
  | undefined {
  const parts = name.split('/');
  if (parts.length !== 3 || parseGenerationName(parts[0]!) === undefined) return undefined;
  const [generation, folder, file] = parts as [string, string, string];
  if (folder === 'records') {
    const m = BATCH.exec(file);
    if (m === null) return undefined;
    const batch = {
      firstTxid: fromHex(m[1]!),
      lastTxid: fromHex(m[2]!),
      firstTime: Number(fromHex(m[3]!)),
      lastTime: Number(fromHex(m[4]!)),
    };
    if (batch.firstTxid < 1n || batch.lastTxid < batch.firstTxid) return undefined;
    return { kind: 'batch', generation, batch };
  }
  if (folder === 'snapshots') {
    const m = SNAPSHOT.exec(file);
    if (m === null) return undefined;
    return {
      kind: 'snapshot',
      generation,
      snapshot: { position: new Position(fromHex(m[1]!), fromHex(m[2]!)), asOf: Number(fromHex(m[3]!)) },
    };
  }
  return undefined;
}
