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
  async function expectSettled(cluster: HaCluster, acknowledged: readonly string[]): Promise<void> {
    await cluster.level();
    await Promise.all(cluster.nodes.map((node) => node.kill('SIGTERM')));
    const [reference, ...others] = await Promise.all(cluster.nodes.map((node) => settledBytes(node.file)));
    for (const bytes of others) expect(bytes.equals(reference!)).toBe(true);
    const present = await rows(cluster.nodes[0]!.file);
    expect(new Set(present).size).toBe(present.length);
    const have = new Set(present);
    expect(acknowledged.filter((uid) => !have.has(uid))).toEqual([]);
  }

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
