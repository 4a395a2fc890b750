import fs from 'node:fs';
import path from 'node:path';
import { open, type Database } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../../core/vfs/index.ts';
import { WalCapture } from '../../../replication/capture/index.ts';
import type { Position, TxRecord } from '../../../replication/log/index.ts';
import type { NativeDb } from '../../support/better-sqlite3.ts';
import { Workload } from '../capture/workload.ts';

const DB_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

/** A captured primary: its records, and a replica file copied from it before they began. */
export interface CapturedPrimary {
  readonly primaryPath: string;
  readonly replicaPath: string;
  readonly start: Position;
  readonly records: TxRecord[];
  /** The primary's connection, still open (checkpointed). */
  readonly db: Database;
  close(): void;
}

/**
 * Runs `steps` of the random workload (schema changes, VACUUM, checkpoints, …) on a captured
 * primary in `dir`; the replica file is a copy of the primary taken before the first record.
 */
export async function capturePrimary(dir: string, seed: number, steps: number): Promise<CapturedPrimary> {
  const primaryPath = path.join(dir, 'primary.db');
  const replicaPath = path.join(dir, 'replica.db');
  const setup = await open(primaryPath);
  Workload.schema(setup, seed % 2 === 0);
  setup.close();
  fs.copyFileSync(primaryPath, replicaPath);

  const records: TxRecord[] = [];
  const capture = new WalCapture({ dbId: DB_ID, epoch: 1n, sink: (record) => records.push(record) });
  const stop = defaultVfs(await loadEngine()).observe(primaryPath, capture);
  const db = await open(primaryPath);
  const other = await open(primaryPath);
  try {
    db.exec('PRAGMA wal_autocheckpoint = 25');
    const start = capture.start(db);
    const workload = new Workload(seed, db, other);
    for (let i = 0; i < steps; i++) workload.step();
    other.close();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      primaryPath,
      replicaPath,
      start,
      records,
      db,
      close: () => {
        if (db.open) db.close();
        stop();
      },
    };
  } catch (error) {
    if (other.open) other.close();
    db.close();
    stop();
    throw error;
  }
}

/** Every table's rows, values made comparable (blobs as hex, integers as text). */
export function dump(db: Pick<Database, 'prepare'> | NativeDb): Record<string, unknown[][]> {
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
  const indexes = db
    .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' ORDER BY name")
    .raw()
    .all() as unknown[][];
  out['#indexes'] = indexes;
  return out;
}
