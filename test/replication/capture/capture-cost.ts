// What capturing costs a commit: `npx tsx test/replication/capture/capture-cost.ts`.
// Commits of 1 and 20 pages on a real file (synchronous=OFF: no fsync to drown the CPU cost) with no
// observer, with an observer that does nothing (the VFS hook alone), with WalCapture and a sink
// that drops the record (checksums and record), and with WalCapture appending to a
// TransactionLog without fsync (encoding and writing the record too).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { open, type Database } from '../../../core/index.ts';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { defaultVfs, type CommitObserver } from '../../../core/vfs/index.ts';
import { WalCapture } from '../../../replication/capture/index.ts';
import { TransactionLog } from '../../../replication/log/index.ts';

const ROUNDS = 9;
const DB_ID = '00112233445566778899aabbccddeeff';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-capture-cost-'));
const vfs = defaultVfs(await loadEngine());

// One row a page, so that updating n consecutive rows commits n pages.
const template = path.join(dir, 'template.db');
const setup = await open(template);
setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
const insert = setup.prepare('INSERT INTO t (v) VALUES (?)');
setup.transaction(() => {
  for (let i = 0; i < 400; i++) insert.run(new Uint8Array(3000));
})();
setup.close();

interface Variant {
  readonly name: string;
  readonly observer?: (file: string) => { observer: CommitObserver; close(): void };
}
const variants: Variant[] = [
  { name: 'no observer' },
  { name: 'VFS hook, observer does nothing', observer: () => ({ observer: { commit() {} }, close() {} }) },
  {
    name: 'WalCapture, sink drops the record',
    observer: () => ({ observer: new WalCapture({ dbId: DB_ID, epoch: 1n, sink: () => {} }), close() {} }),
  },
  {
    name: 'WalCapture + TransactionLog (no fsync)',
    observer: (file) => {
      const log = TransactionLog.open(`${file}-log`, { fsync: false });
      return {
        observer: new WalCapture({ dbId: DB_ID, epoch: 1n, sink: (r) => log.append(r) }),
        close: () => log.close(),
      };
    },
  },
];

const shapes = [
  { pages: 1, commits: 2000, sql: 'UPDATE t SET v = ? WHERE id = ?' },
  { pages: 20, commits: 200, sql: 'UPDATE t SET v = ? WHERE id BETWEEN ? AND ? + 19' },
];

// Every variant has its own copy of the database, all open at once, and the rounds interleave
// the variants, so that a busy moment of the machine does not land on one variant only.
const runs = variants.map((variant, i) => {
  const file = path.join(dir, `v${i}.db`);
  fs.copyFileSync(template, file);
  const attached = variant.observer?.(file);
  const pagesSeen: number[] = [];
  const stop =
    attached === undefined
      ? undefined
      : vfs.observe(file, {
          commit(c) {
            pagesSeen.push(c.pages.length);
            attached.observer.commit(c);
          },
          commitFailed: (c) => attached.observer.commitFailed?.(c),
        });
  return { variant, file, attached, pagesSeen, stop, db: undefined as Database | undefined };
});
for (const run of runs) {
  run.db = await open(run.file);
  run.db.exec('PRAGMA synchronous = OFF');
  if (run.attached?.observer instanceof WalCapture) run.attached.observer.start(run.db);
}

for (const shape of shapes) {
  console.log(`\n${shape.pages}-page transactions (${shape.commits} commits a round, median of ${ROUNDS} rounds):`);
  const times = runs.map(() => [] as number[]);
  const value = new Uint8Array(3000);
  for (let round = -1; round < ROUNDS; round++) {
    // round -1 warms up
    runs.forEach((run, v) => {
      const update = run.db!.prepare(shape.sql);
      run.pagesSeen.length = 0;
      const t0 = performance.now();
      for (let i = 0; i < shape.commits; i++) {
        value[0] = i & 255;
        const id = 1 + ((i * shape.pages) % 300);
        if (shape.pages === 1) update.run(value, id);
        else update.run(value, id, id);
      }
      if (round >= 0) times[v]!.push(((performance.now() - t0) * 1000) / shape.commits);
    });
  }
  runs.forEach((run, v) => {
    const sorted = times[v]!.sort((a, b) => a - b);
    const seen = run.pagesSeen.length === 0 ? '' : ` (${Math.max(...run.pagesSeen)} pages a commit)`;
    console.log(`  ${run.variant.name.padEnd(40)} ${sorted[ROUNDS >> 1]!.toFixed(1).padStart(7)} µs/commit${seen}`);
  });
}
for (const run of runs) {
  run.db!.close();
  run.stop?.();
  run.attached?.close();
}
fs.rmSync(dir, { recursive: true, force: true });
