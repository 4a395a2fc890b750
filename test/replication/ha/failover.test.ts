import { afterEach, expect, it } from 'vitest';
import { describeWithEtcd } from '../../support/etcd-server.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { createTable, expectSettled, HaCluster, rows, settledBytes, Writers, type NodeProcess } from './ha-cluster.ts';

/** Rounds of SIGKILL of the primary under load here (`npm run bench:ha` runs 20). */
const ROUNDS = 3;

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
    const writers = new Writers(cluster.nodes);
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
    // /status on any node shows every node: one primary, two replicas, none lagging.
    for (const node of cluster.nodes) {
      const deadline = Date.now() + 10_000;
      let nodes: { role: string; position: string; lag: number | null }[] = [];
      while (Date.now() < deadline) {
        const status = (await (await fetch(`${node.url}/status`)).json()) as { cluster: { nodes: typeof nodes } };
        nodes = status.cluster.nodes;
        if (
          nodes
            .map((n) => n.role)
            .sort()
            .join() === 'primary,replica,replica' &&
          nodes.every((n) => n.lag === 0)
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(nodes.map((n) => [n.role, n.position, n.lag]).sort()).toEqual([
        ['primary', position, 0],
        ['replica', position, 0],
        ['replica', position, 0],
      ]);
    }
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

  it('a replica restarted during a failover rejoins the new primary', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const primary = await cluster.primary();
    await createTable(primary);
    const writers = new Writers(cluster.nodes);
    writers.start(3);
    while (writers.acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));
    const replica = cluster.nodes.find((node) => node !== primary)!;
    await primary.kill('SIGKILL');
    await replica.kill('SIGKILL');
    replica.start();
    await cluster.primary(20_000, primary);
    const before = writers.acknowledged.length;
    while (writers.acknowledged.length < before + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    primary.start();
    await writers.stop();
    await expectSettled(cluster, writers.acknowledged);
  });

  it('with two nodes killed at once, a survivor that lacks acknowledged writes does not lead', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const primary = await cluster.primary();
    await createTable(primary);
    const writers = new Writers(cluster.nodes);
    writers.start(3);
    while (writers.acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    const [replica, survivor] = cluster.nodes.filter((node) => node !== primary) as [NodeProcess, NodeProcess];
    // The survivor is down while the other replica confirms more writes; then those two die at
    // once, and the survivor comes back alone, behind.
    await survivor.kill('SIGKILL');
    const before = writers.acknowledged.length;
    while (writers.acknowledged.length < before + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all([primary.kill('SIGKILL'), replica.kill('SIGKILL')]);
    await writers.stop();
    survivor.start();
    // Well past a lease: it does not lead, since the board shows a replica ahead of it.
    await expect(cluster.primary(6000)).rejects.toThrow(/no primary/);
    expect((await survivor.health())!.role).toBe('candidate');
    replica.start();
    primary.start();
    await cluster.primary(20_000);
    await expectSettled(cluster, writers.acknowledged);
  });
});
