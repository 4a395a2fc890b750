import fs from 'node:fs';
import path from 'node:path';
import { open } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../../core/vfs/index.ts';
import { WalCapture } from '../../../replication/capture/index.ts';
import type { Position, TxRecord } from '../../../replication/log/index.ts';

/** A captured primary of `count` small transactions, and a replica file copied from it before them. */
export interface CapturedUpdates {
  readonly primaryPath: string;
  readonly replicaPath: string;
  readonly start: Position;
  readonly records: TxRecord[];
}

/**
 * A primary in `dir` with a table of 200 rows, one row a page, then `count` transactions that
 * each rewrite `rowsPerTx` rows (so about that many pages a record); the primary ends checkpointed.
 */
export async function captureUpdates(dir: string, count: number, rowsPerTx = 1): Promise<CapturedUpdates> {
  const primaryPath = path.join(dir, 'primary.db');
  const replicaPath = path.join(dir, 'replica.db');
  const setup = await open(primaryPath);
  setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const insert = setup.prepare('INSERT INTO t VALUES (?, randomblob(3000))');
  setup.transaction(() => {
    for (let i = 1; i <= 200; i++) insert.run(i);
  })();
  setup.close();
  fs.copyFileSync(primaryPath, replicaPath);

  const records: TxRecord[] = [];
  const capture = new WalCapture({ dbId: '0'.repeat(32), epoch: 1n, sink: (record) => records.push(record) });
  const stop = defaultVfs(await loadEngine()).observe(primaryPath, capture);
  try {
    const db = await open(primaryPath);
    const start = capture.start(db);
    const update = db.prepare('UPDATE t SET v = randomblob(3000) WHERE id = ?');
    for (let i = 0; i < count; i++) {
      db.transaction(() => {
        for (let k = 0; k < rowsPerTx; k++) update.run(1 + ((i * rowsPerTx + k) % 200));
      })();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    return { primaryPath, replicaPath, start, records };
  } finally {
    stop();
  }
}
