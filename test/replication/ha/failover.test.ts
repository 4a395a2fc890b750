import { afterEach, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import { describeWithEtcd } from '../../support/etcd-server.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { HaCluster, settledBytes, Writers, type NodeProcess } from './ha-cluster.ts';

/** Rounds of SIGKILL of the primary under load in the quick test (the chaos bench runs more). */
const ROUNDS = 3;

async function createTable(primary: NodeProcess): Promise<void> {
  const response = await fetch(`${primary.url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'CREATE TABLE w (uid TEXT)' }),
  });
  expect(response.status).toBe(200);
}

/** The uids in `file`, each as often as it is there. */
async function rows(file: string): Promise<string[]> {
  const db = await open(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return db.prepare('SELECT uid FROM w').pluck().all() as string[];
  } finally {
    db.close();
  }
}

describeWithEtcd('failover on etcd, 3 nodes in quorum mode', () => {
  const temp = useTempDir();
  let cluster: HaCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('survives SIGKILL of the primary under load: a new primary, no acknowledged write lost or doubled, nodes byte-identical', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const first = await cluster.primary();
    const epoch = BigInt((await first.health())!.epoch);
    await createTable(first);
    const writers = new Writers(cluster);
    writers.start(4);
    let primary = first;
    const epochs = [epoch];
    for (let round = 0; round < ROUNDS; round++) {
      const before = writers.acknowledged.length;
      while (writers.acknowledged.length < before + 30) await new Promise((resolve) => setTimeout(resolve, 10));
      await primary.kill('SIGKILL');
      const next = await cluster.primary(20_000, primary);
      const health = (await next.health())!;
      epochs.push(BigInt(health.epoch));
      const after = writers.acknowledged.length;
      while (writers.acknowledged.length < after + 10) await new Promise((resolve) => setTimeout(resolve, 10));
      // The killed node comes back, and rejoins as a replica.
      primary.start();
      primary = next;
    }
    await writers.stop();
    const position = await cluster.level();
    for (const node of cluster.nodes) expect((await node.health())!.position).toBe(position);
    // Every term's epoch is higher than the one before.
    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1]!);

    await Promise.all(cluster.nodes.map((node) => node.kill('SIGTERM')));
    const [reference, ...others] = await Promise.all(cluster.nodes.map((node) => settledBytes(node.file)));
    for (const bytes of others) expect(bytes.equals(reference!)).toBe(true);
    const present = await rows(cluster.nodes[0]!.file);
    expect(new Set(present).size).toBe(present.length);
    const have = new Set(present);
    expect(writers.acknowledged.filter((uid) => !have.has(uid))).toEqual([]);
    expect(writers.acknowledged.length).toBeGreaterThan(ROUNDS * 40);
  });
});
