import { afterEach, expect, it } from 'vitest';
import { describeWithEtcd } from '../../support/etcd-server.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { createTable, expectSettled, HaCluster, rows, settledBytes, Writers, type NodeProcess } from './ha-cluster.ts';

describeWithEtcd('histories across failovers, 3 nodes in quorum mode', () => {
  const temp = useTempDir();
  let cluster: HaCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('a promoted replica serves the records it kept, so a replica behind it catches up without a snapshot', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const first = await cluster.primary();
    await createTable(first);
    await cluster.level();
    const [lagging, other] = cluster.nodes.filter((node) => node !== first) as [NodeProcess, NodeProcess];
    await lagging.kill('SIGKILL');
    const writers = new Writers(cluster.nodes);
    writers.start(2);
    while (writers.acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.kill('SIGKILL');
    expect(await cluster.primary(20_000, first)).toBe(other);
    // Back, the replica that was down is the new primary's only one: quorum writes wait for it.
    lagging.start();
    const before = writers.acknowledged.length;
    while (writers.acknowledged.length < before + 10) await new Promise((resolve) => setTimeout(resolve, 10));
    await writers.stop();
    first.start();
    await expectSettled(cluster, writers.acknowledged);
    // The replica that was down followed the new primary's log from where it was.
    expect(lagging.output.join('\n')).not.toMatch(/re-bootstrapping from a snapshot/);
    expect(lagging.output.join('\n')).toMatch(/following http:\S+ from 0000000000000001\//);
  });

  it('a deposed primary with a longer unacknowledged tail does not lead over a later term', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const old = await cluster.primary();
    await createTable(old);
    const [b, c] = cluster.nodes.filter((node) => node !== old) as [NodeProcess, NodeProcess];
    await cluster.level();
    // Alone, the primary commits writes no replica confirms: a tail nobody acknowledged.
    await Promise.all([b.kill('SIGKILL'), c.kill('SIGKILL')]);
    const tail = Array.from({ length: 6 }, (_, i) =>
      fetch(`${old.url}/v1/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'INSERT INTO w (uid) VALUES (?)', args: [`tail-${i}`] }),
      }).catch(() => undefined),
    );
    const start = (await old.health())!.position;
    while ((await old.health())!.position === start) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await old.kill('SIGKILL');
    await Promise.all(tail);
    // The other two elect a primary of a later term and acknowledge fewer writes than that tail.
    b.start();
    c.start();
    const next = await cluster.primary(20_000, old);
    const writers = new Writers([b, c]);
    writers.start(1);
    while (writers.acknowledged.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    await writers.stop();
    await Promise.all([b.kill('SIGKILL'), c.kill('SIGKILL')]);
    // (Once the dead primary's lease has lapsed: a node that sees a leader follows it.)
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // The old primary, back alone, is ahead by txid but behind by term: it must not lead.
    old.start();
    await expect(cluster.primary(6000)).rejects.toThrow(/no primary/);
    b.start();
    c.start();
    await cluster.primary(20_000);
    expect(next).toBeDefined();
    await expectSettled(cluster, writers.acknowledged);
    const have = new Set(await rows(old.file));
    for (let i = 0; i < 6; i++) expect(have.has(`tail-${i}`)).toBe(false);
  });
});

describeWithEtcd('failover on etcd, 3 nodes in async mode', () => {
  const temp = useTempDir();
  let cluster: HaCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('loses at most the tail the deposed primary counts and logs, and the nodes end byte-identical', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'async');
    const primary = await cluster.primary();
    await createTable(primary);
    const writers = new Writers(cluster.nodes);
    writers.start(4);
    while (writers.acknowledged.length < 100) await new Promise((resolve) => setTimeout(resolve, 5));
    await primary.kill('SIGKILL');
    await cluster.primary(20_000, primary);
    const after = writers.acknowledged.length;
    while (writers.acknowledged.length < after + 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await writers.stop();
    primary.start();
    await cluster.level();
    await Promise.all(cluster.nodes.map((node) => node.kill('SIGTERM')));
    const [reference, ...others] = await Promise.all(cluster.nodes.map((node) => settledBytes(node.file)));
    for (const bytes of others) expect(bytes.equals(reference!)).toBe(true);
    const present = await rows(cluster.nodes[0]!.file);
    expect(new Set(present).size).toBe(present.length);
    const have = new Set(present);
    const lost = writers.acknowledged.filter((uid) => !have.has(uid)).length;
    const told = primary.output
      .map((line) => /its last (\d+) transaction\(s\)/.exec(line)?.[1])
      .filter((count) => count !== undefined)
      .map(Number);
    expect(lost).toBeLessThanOrEqual(told.reduce((a, b) => a + b, 0));
  });
});
