/**
 * `npm run bench:ha [-- --rounds 20 --durability quorum]`: the failover figures of issue 14, on
 * etcd and three `wasmlite node` processes on 127.0.0.1 at the default lease TTL (2 s).
 *
 * Each round: writers keep inserting rows through whichever node is primary (4 at a time), the
 * primary is SIGKILLed, and the round measures the failover time (kill → first acknowledged write
 * on the new primary) and the write gap (last acknowledgement before the kill → first after);
 * then the killed node is restarted and the nodes are let level before the next round. A replica
 * client reads from its local file the whole time (reads served, largest gap). At the end every
 * node is stopped and compared: acknowledged writes missing, rows present twice, files that differ.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, open } from '../../core/index.ts';
import { EtcdServer, freePort } from '../../examples/ha/etcd-server.ts';
import { NodeProcess } from '../../examples/ha/node-process.ts';
import { Writers } from '../../examples/ha/writers.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, durability: { type: 'string', default: 'quorum' } },
});
const ROUNDS = Number(values.rounds);
const durability = values.durability as 'async' | 'quorum';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function primaryOf(nodes: readonly NodeProcess[], except?: NodeProcess): Promise<NodeProcess> {
  for (;;) {
    for (const node of nodes)
      if (node !== except && node.running && (await node.health())?.role === 'primary') return node;
    await sleep(20);
  }
}

async function level(nodes: readonly NodeProcess[]): Promise<void> {
  for (;;) {
    const positions = await Promise.all(nodes.map(async (node) => (await node.health())?.position));
    if (positions.every((p) => p !== undefined && p === positions[0])) return;
    await sleep(50);
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-bench-ha-'));
const etcd = await EtcdServer.start();
const nodes: NodeProcess[] = [];
for (let i = 0; i < 3; i++) {
  const args = ['--etcd', etcd.url, '--cluster', 'bench', '--durability', durability];
  nodes.push(new NodeProcess(await freePort(), path.join(dir, `n${i}`), args));
}
try {
  for (const node of nodes) node.start();
  let primary = await primaryOf(nodes);
  await fetch(`${primary.url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'CREATE TABLE w (uid TEXT)' }),
  });
  const reader = createClient({ url: `file:${path.join(dir, 'reader.db')}`, syncUrl: primary.url });
  await reader.sync();
  let reading = true;
  let reads = 0;
  let readGap = 0;
  const readLoop = (async () => {
    let last = performance.now();
    while (reading) {
      await reader.execute('SELECT count(*) FROM w');
      reads++;
      const now = performance.now();
      readGap = Math.max(readGap, now - last);
      last = now;
      await sleep(1);
    }
  })();

  const writers = new Writers(nodes);
  writers.start(4);
  const failovers: number[] = [];
  const gaps: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = writers.ackTimes.length;
    while (writers.ackTimes.length < start + 50) await sleep(5);
    const killedAt = performance.now();
    await primary.kill('SIGKILL');
    // Answers the killed primary sent before it died may still arrive: only another node's count.
    const first = (): number =>
      writers.ackNodes.findIndex((url, i) => url !== primary.url && writers.ackTimes[i]! > killedAt);
    while (first() === -1) await sleep(2);
    const firstAfter = writers.ackTimes[first()]!;
    const lastBefore = writers.ackTimes.filter((time, i) => writers.ackNodes[i] === primary.url).at(-1)!;
    failovers.push(firstAfter - killedAt);
    gaps.push(firstAfter - lastBefore);
    const killed = primary;
    primary = await primaryOf(nodes, killed);
    killed.start();
    await level(nodes);
    console.log(
      `round ${round + 1}: failover ${Math.round(failovers.at(-1)!)} ms, write gap ${Math.round(gaps.at(-1)!)} ms, new primary ${primary.url}`,
    );
  }
  await writers.stop();
  reading = false;
  await readLoop;
  reader.close();
  await level(nodes);
  await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
  const files = await Promise.all(
    nodes.map(async (node) => {
      const db = await open(node.file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      const uids = db.prepare('SELECT uid FROM w').pluck().all() as string[];
      db.close();
      return { bytes: fs.readFileSync(node.file), uids };
    }),
  );
  const have = new Set(files[0]!.uids);
  const lost = writers.acknowledged.filter((uid) => !have.has(uid)).length;
  const twice = files[0]!.uids.length - have.size;
  const identical = files.every((file) => file.bytes.equals(files[0]!.bytes));
  console.log(
    JSON.stringify(
      {
        durability,
        rounds: ROUNDS,
        leaseTtlSeconds: 2,
        failoverMs: { p50: Math.round(percentile(failovers, 50)), p99: Math.round(percentile(failovers, 99)) },
        writeGapMs: { p50: Math.round(percentile(gaps, 50)), p99: Math.round(percentile(gaps, 99)) },
        acknowledged: writers.acknowledged.length,
        acknowledgedLost: lost,
        appliedTwice: twice,
        nodesByteIdentical: identical,
        reads: { served: reads, largestGapMs: Math.round(readGap) },
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
  await etcd.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
