// `npm start`: a primary and two replicas, each its own process on 127.0.0.1.
// Writes go through replica A, reads come back from replica B (read-your-writes through A's
// bookmark), and the replication lag A-ack → B-applied is measured for every write.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterNode } from './cluster-node.ts';

const PRIMARY_NODE = path.join(import.meta.dirname, 'primary-node.ts');
const REPLICA_NODE = path.join(import.meta.dirname, 'replica-node.ts');
const ROWS = 300;

type Executed = { rows: Array<Record<string, unknown>>; bookmark: string; ackedAt: number };

const started = performance.now();
const step = (text: string): void =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(2).padStart(5)} s] ${text}`);
const txidOf = (position: string): bigint => BigInt(`0x${position.split('/')[0]}`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-cluster-'));
const env = { WASMLITE_TOKEN: randomBytes(16).toString('hex') };
process.on('exit', () => ClusterNode.killAll());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const nodes: ClusterNode[] = [];
try {
  const primary = await ClusterNode.start('primary', PRIMARY_NODE, [path.join(dir, 'primary.db')], env);
  nodes.push(primary);
  const url = primary.ready as string;
  step(`primary pid ${primary.pid} at ${url} (data in ${dir})`);
  const a = await ClusterNode.start('replica A', REPLICA_NODE, [path.join(dir, 'a.db'), url], env);
  const b = await ClusterNode.start('replica B', REPLICA_NODE, [path.join(dir, 'b.db'), url], env);
  nodes.push(a, b);
  step(`replica A pid ${a.pid}, replica B pid ${b.pid}, bootstrapped from snapshots`);

  const lags: number[] = [];
  /** A write through A, timed until B has applied it (B starts waiting before A writes). */
  async function write(sql: string, args: unknown[] = []): Promise<Executed> {
    const txid = txidOf(await primary.call<string>('position')) + 1n;
    const applied = b.call<number>('appliedAt', txid);
    const result = await a.call<Executed>('execute', { sql, args });
    // B's stream can deliver the commit before A's HTTP response does: that counts as no lag.
    lags.push(Math.max(0, (await applied) - result.ackedAt));
    return result;
  }

  await write('CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT)');
  for (let i = 1; i <= ROWS; i++)
    await write('INSERT INTO notes (title, body) VALUES (?, ?)', [`note ${i}`, `body of note ${i}`]);
  step(`wrote ${ROWS} rows through A, one transaction each`);

  const batch = await a.call<{ bookmark: string }>(
    'batch',
    [
      { sql: 'UPDATE notes SET body = upper(body) WHERE id % 10 = 0', args: [] },
      { sql: 'DELETE FROM notes WHERE id > ?', args: [ROWS - 20] },
      { sql: 'INSERT INTO notes (title) VALUES (?)', args: ['from the batch'] },
    ],
    'write',
  );
  step(`batch through A (update, delete, insert in one transaction), bookmark ${batch.bookmark}`);

  await write('ALTER TABLE notes ADD COLUMN tags TEXT');
  await write('CREATE INDEX notes_title ON notes (title)');
  const last = await write("UPDATE notes SET tags = 'demo' WHERE id <= 5");
  step('schema change through A: ALTER TABLE ADD COLUMN, CREATE INDEX');

  const count = await b.call<Executed>(
    'readAt',
    last.bookmark,
    'SELECT count(*) AS n, sum(tags IS NOT NULL) AS tagged FROM notes',
  );
  const sample = await b.call<Executed>(
    'readAt',
    last.bookmark,
    'SELECT id, title, body, tags FROM notes WHERE id IN (1, 10) ORDER BY id',
  );
  const columns = await b.call<Executed>(
    'readAt',
    last.bookmark,
    "SELECT group_concat(name, ', ') AS names FROM pragma_table_info('notes')",
  );
  step(`read back from B at A's bookmark ${last.bookmark}:`);
  console.log(`         ${count.rows[0]!.n} rows, ${count.rows[0]!.tagged} tagged; columns ${columns.rows[0]!.names}`);
  for (const row of sample.rows) console.log(`         ${JSON.stringify(row)}`);

  const [p, pa, pb] = [
    await primary.call<string>('position'),
    await a.call<string>('sync'),
    await b.call<string>('sync'),
  ];
  step('positions (txid/checksum):');
  console.log(
    `         primary   ${p}\n         replica A ${pa}\n         replica B ${pb}${p === pa && p === pb ? '   (all equal)' : '   (DIFFERENT)'}`,
  );

  const sorted = [...lags].sort((x, y) => x - y);
  const ms = (v: number): string => `${v.toFixed(2)} ms`;
  step(
    `replication lag, A's ack → B applied, over ${sorted.length} writes: min ${ms(sorted[0]!)}, median ${ms(sorted[sorted.length >> 1]!)}, max ${ms(sorted.at(-1)!)}${sorted[0] === 0 ? ` (${sorted.filter((v) => v === 0).length} applied on B before A had its ack)` : ''}`,
  );
  // What the primary knows of its replicas: each reports its position (POST /v1/ack) after applies,
  // at most every 50 ms in the default durability mode, so the last report may take that long.
  type Status = { replicas: Array<{ name: string; position: string; lagTxids: number; lagMs: number }> };
  let status: Status;
  for (let tries = 0; ; tries++) {
    status = (await (
      await fetch(`${url}/status`, { headers: { authorization: `Bearer ${env.WASMLITE_TOKEN}` } })
    ).json()) as Status;
    if (tries === 20 || (status.replicas.length === 2 && status.replicas.every((r) => r.position === p))) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  step(`the primary's /status lists ${status.replicas.length} replicas:`);
  for (const r of status.replicas)
    console.log(`         ${r.name}  at ${r.position}, ${r.lagTxids} transactions / ${r.lagMs} ms behind`);
  if (p !== pa || p !== pb) throw new Error("the replicas did not end at the primary's position");
} finally {
  for (const node of nodes.reverse()) await node.stop().catch(() => node.kill('SIGKILL'));
  ClusterNode.killAll();
  fs.rmSync(dir, { recursive: true, force: true });
  step('stopped the primary and both replicas, removed the data dir');
}
