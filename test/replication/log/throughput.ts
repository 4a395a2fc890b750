// Measures the log's throughput: `npx tsx test/replication/log/throughput.ts`.
// Encode/decode of records of 8 KiB pages, appends with and without fsync, page checksums.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pageChecksum, TransactionLog, TxRecord } from '../../../replication/log/index.ts';
import { PageStore, pageData } from './records.ts';

const PAGE = 8192;

function chain(count: number, pagesPer: number): TxRecord[] {
  const store = new PageStore(PAGE);
  const records: TxRecord[] = [];
  for (let i = 0; i < count; i++) {
    const writes: Array<[number, Uint8Array]> = [];
    for (let p = 0; p < pagesPer; p++) writes.push([1 + ((i * pagesPer + p) % 1000), pageData(PAGE, i * 131 + p)]);
    records.push(store.commit(writes));
  }
  return records;
}

function report(label: string, count: number, bytes: number, ms: number): void {
  const perSecond = (count / ms) * 1000;
  console.log(
    `${label.padEnd(44)} ${perSecond.toFixed(0).padStart(9)} records/s ${(((bytes / ms) * 1000) / 1e6).toFixed(0).padStart(6)} MB/s`,
  );
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

for (const pagesPer of [1, 16]) {
  const records = chain(pagesPer === 1 ? 4000 : 500, pagesPer);
  const encoded = records.map((r) => TxRecord.encode(r));
  const bytes = encoded.reduce((sum, b) => sum + b.length, 0);
  for (const r of records.slice(0, 50)) TxRecord.encode(r);
  report(
    `encode, ${pagesPer} x 8 KiB page(s)`,
    records.length,
    bytes,
    time(() => {
      for (const r of records) TxRecord.encode(r);
    }),
  );
  report(
    `decode, ${pagesPer} x 8 KiB page(s)`,
    records.length,
    bytes,
    time(() => {
      for (const b of encoded) TxRecord.decode(b);
    }),
  );
  for (const fsync of [false, true]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-log-bench-'));
    const log = TransactionLog.open(dir, { fsync, segmentSize: 16 * 1024 * 1024 });
    const n = fsync ? Math.min(records.length, 300) : records.length;
    report(
      `append, ${pagesPer} x 8 KiB, fsync ${fsync}`,
      n,
      encoded.slice(0, n).reduce((s, b) => s + b.length, 0),
      time(() => {
        for (const r of records.slice(0, n)) log.append(r);
      }),
    );
    report(
      `readFrom, ${pagesPer} x 8 KiB`,
      n,
      bytes * (n / records.length),
      time(() => {
        for (const _ of log.readFrom(1n));
      }),
    );
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const page = pageData(PAGE, 1);
const n = 50_000;
report(
  'pageChecksum, 8 KiB (per page)',
  n,
  n * PAGE,
  time(() => {
    for (let i = 1; i <= n; i++) pageChecksum(i, page);
  }),
);
