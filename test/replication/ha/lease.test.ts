import { afterEach, expect, it } from 'vitest';
import { describeWithEtcd } from '../../support/etcd-server.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { createTable, HaCluster, rows, settledBytes, Writers } from './ha-cluster.ts';

describeWithEtcd('the primary lease on etcd, 3 nodes in quorum mode', () => {
  const temp = useTempDir();
  let cluster: HaCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('a primary paused past its lease acknowledges nothing after it, and rejoins as a replica', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const paused = await cluster.primary();
    await createTable(paused);
    const writers = new Writers(cluster.nodes);
    writers.start(3);
    while (writers.acknowledged.length < 30) await new Promise((resolve) => setTimeout(resolve, 10));
    await paused.kill('SIGSTOP');
    // Writes sent straight to the paused primary wait in its socket for as long as it sleeps.
    const sent = Array.from({ length: 5 }, (_, i) =>
      fetch(`${paused.url}/v1/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'INSERT INTO w (uid) VALUES (?)', args: [`paused-${i}`] }),
      }).then(
        async (response) => ({
          status: response.status,
          body: (await response.json()) as { error?: { code: string } },
        }),
        () => ({ status: 0, body: {} as { error?: { code: string } } }),
      ),
    );
    const next = await cluster.primary(20_000, paused);
    const acknowledgedBefore = writers.acknowledged.length;
    while (writers.acknowledged.length < acknowledgedBefore + 20)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await paused.kill('SIGCONT');
    // Refused (503 NOT_PRIMARY), or cut off when it closed its primary server: never acknowledged.
    for (const answer of await Promise.all(sent)) {
      expect(answer.status).not.toBe(200);
      if (answer.status !== 0) expect(answer.body.error?.code).toBe('NOT_PRIMARY');
    }
    // It rejoins as a replica of the new primary.
    const deadline = Date.now() + 20_000;
    let health = await paused.health();
    while (health?.role !== 'replica' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      health = await paused.health();
    }
    expect(health).toMatchObject({ role: 'replica', primaryUrl: next.url });
    await writers.stop();
    await cluster.level();
    await Promise.all(cluster.nodes.map((node) => node.kill('SIGTERM')));
    const [reference, ...others] = await Promise.all(cluster.nodes.map((node) => settledBytes(node.file)));
    for (const bytes of others) expect(bytes.equals(reference!)).toBe(true);
    const have = new Set(await rows(cluster.nodes[0]!.file));
    expect(writers.acknowledged.filter((uid) => !have.has(uid))).toEqual([]);
    for (let i = 0; i < 5; i++) expect(have.has(`paused-${i}`)).toBe(false);
  });

  it('with etcd killed, the primary steps down at its deadline and replicas keep serving; after a restart a primary is elected', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const primary = await cluster.primary();
    await createTable(primary);
    const writers = new Writers(cluster.nodes);
    writers.start(2);
    while (writers.acknowledged.length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    await cluster.etcd.kill('SIGKILL');
    const killedAt = performance.now();
    // The lease is 2 s: within it (and a step), no node says it is the primary.
    let roles: (string | undefined)[] = [];
    let steppedDownAt: number | undefined;
    while (performance.now() - killedAt < 6000) {
      roles = await Promise.all(cluster.nodes.map(async (node) => (await node.health())?.role));
      if (!roles.includes('primary')) steppedDownAt ??= performance.now();
      // Every node answers again (the old primary serves as a candidate once its server is closed).
      if (steppedDownAt !== undefined && roles.every((role) => role !== undefined)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(steppedDownAt! - killedAt).toBeLessThan(2500);
    expect(roles).not.toContain('primary');
    expect(roles.every((role) => role !== undefined)).toBe(true);
    const stalled = writers.acknowledged.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(writers.acknowledged.length).toBe(stalled);

    await cluster.etcd.restart();
    await cluster.primary(20_000);
    while (writers.acknowledged.length < stalled + 20) await new Promise((resolve) => setTimeout(resolve, 10));
    await writers.stop();
    await cluster.level();
    await Promise.all(cluster.nodes.map((node) => node.kill('SIGTERM')));
    const [reference, ...others] = await Promise.all(cluster.nodes.map((node) => settledBytes(node.file)));
    for (const bytes of others) expect(bytes.equals(reference!)).toBe(true);
    const have = new Set(await rows(cluster.nodes[0]!.file));
    expect(writers.acknowledged.filter((uid) => !have.has(uid))).toEqual([]);
  });

  /** Every node stopped cleanly, its file checkpointed: all byte-identical, every acknowledged uid there once. */
});
