// `npx tsx test/replication/replica/apply-cost.ts`: µs per record applied (medians), 1-page and
// 20-page records, one record a commit (Replica.apply) and 16 a commit (Replica.applyBatch), with
// one long-lived reader open on the replica (as applications have).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../../../core/index.ts';
import { Replica } from '../../../replication/replica/index.ts';
import { captureUpdates } from './updates.ts';

const N = 320;

async function measure(rowsPerTx: number, sync: boolean, batch: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-apply-cost-'));
  try {
    const { replicaPath, start, records } = await captureUpdates(dir, N, rowsPerTx);
    const replica = await Replica.open(replicaPath, { from: start, sync });
    const reader = await open(replicaPath);
    const times: number[] = [];
    for (let at = 0; at < records.length; at += batch) {
      const t0 = performance.now();
      if (batch === 1) replica.apply(records[at]!);
      else replica.applyBatch(records.slice(at, at + batch));
      times.push(((performance.now() - t0) * 1000) / batch);
      reader.prepare('SELECT count(*) FROM t').pluck().get();
    }
    reader.close();
    replica.close();
    const pages = records.reduce((n, r) => n + r.pages.length, 0) / records.length;
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1]!;
    console.log(
      `${rowsPerTx} row(s)/tx (${pages.toFixed(1)} pages a record), sync=${sync}, ${batch} a commit: median ${median.toFixed(0)} µs a record`,
    );
    return median;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const sync of [false, true])
  for (const rows of [1, 20]) for (const batch of [1, 16]) await measure(rows, sync, batch);
