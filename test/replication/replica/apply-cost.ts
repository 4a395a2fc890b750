// `npx tsx test/replication/replica/apply-cost.ts`: µs per Replica.apply (medians), 1-page and
// 20-page records, with one long-lived reader open on the replica (as applications have).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../../core/vfs/index.ts';
import { WalCapture } from '../../../replication/capture/index.ts';
import type { TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';

const N = 300;

async function measure(pagesPerTx: number, sync: boolean): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-apply-cost-'));
  try {
    const primaryPath = path.join(dir, 'primary.db');
    const replicaPath = path.join(dir, 'replica.db');
    const setup = await open(primaryPath);
    // One row a page: row i lives on its own leaf page.
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const insert = setup.prepare('INSERT INTO t VALUES (?, randomblob(3000))');
    setup.transaction(() => { for (let i = 1; i <= 200; i++) insert.run(i); })();
    setup.close();
    fs.copyFileSync(primaryPath, replicaPath);

    const records: TxRecord[] = [];
    const capture = new WalCapture({ dbId: '0'.repeat(32), epoch: 1n, sink: (r) => records.push(r) });
    const stop = defaultVfs(await loadEngine()).observe(primaryPath, capture);
    const db = await open(primaryPath);
    const start = capture.start(db);
    const update = db.prepare('UPDATE t SET v = randomblob(3000) WHERE id = ?');
    for (let i = 0; i < N; i++) db.transaction(() => { for (let k = 0; k < pagesPerTx; k++) update.run(1 + ((i * pagesPerTx + k) % 200)); })();
    db.close();
    stop();

    const replica = await Replica.open(replicaPath, { from: start, sync });
    const reader = await open(replicaPath);
    const times: number[] = [];
    for (const record of records) {
      const t0 = performance.now();
      replica.apply(record);
      times.push((performance.now() - t0) * 1000);
      reader.prepare('SELECT count(*) FROM t').pluck().get();
    }
    reader.close();
    replica.close();
    const pages = records.reduce((n, r) => n + r.pages.length, 0) / records.length;
    times.sort((a, b) => a - b);
    console.log(`${pagesPerTx} row(s)/tx (${pages.toFixed(1)} pages a record), sync=${sync}: median ${times[times.length >> 1]!.toFixed(0)} µs`);
    return times[times.length >> 1]!;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const sync of [false, true]) for (const pages of [1, 20]) await measure(pages, sync);
