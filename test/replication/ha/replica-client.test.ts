import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createClient, type Client } from '../../../core/index.ts';
import { describeWithEtcd } from '../../support/etcd-server.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { createTable, HaCluster } from './ha-cluster.ts';

/** Why a write may fail while the primary is being replaced; anything else fails the test. */
const FAILOVER_CODES = new Set(['PRIMARY_UNAVAILABLE', 'WRITE_OUTCOME_UNKNOWN']);

describeWithEtcd('a replica client given every node of a cluster (quorum mode, 3 nodes)', () => {
  const temp = useTempDir();
  let cluster: HaCluster | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await cluster?.stop();
    cluster = undefined;
  });

  it('after SIGKILL of the primary, the local copy follows the new one: acked writes read locally, once', async () => {
    cluster = await HaCluster.start(temp.dir, 3, 'quorum');
    const first = await cluster.primary();
    const firstEpoch = BigInt((await first.health())!.epoch);
    await createTable(first);
    // The first primary first: a client that followed only the first URL would be left behind.
    const urls = [first, ...cluster.nodes.filter((node) => node !== first)].map((node) => node.url);
    const options = { syncUrl: urls, failoverTimeout: 20_000, readYourWritesTimeout: 20_000 } as const;
    // onReplicaLag 'error': a read the local file cannot answer in time fails, never goes remote.
    const client = createClient({
      url: `file:${path.join(temp.dir, 'replica.db')}`,
      ...options,
      onReplicaLag: 'error',
    });
    clients.push(client);

    const acknowledged: string[] = [];
    const failed = new Map<string, number>();
    let stopped = false;
    const writer = (async () => {
      for (let i = 0; !stopped; i++) {
        try {
          await client.execute({ sql: 'INSERT INTO w (uid) VALUES (?)', args: [`c-${i}`] });
          acknowledged.push(`c-${i}`);
        } catch (error) {
          const code = (error as { code?: string }).code ?? String(error);
          failed.set(code, (failed.get(code) ?? 0) + 1);
          if (!FAILOVER_CODES.has(code)) throw error;
        }
      }
    })();
    const readFailures: unknown[] = [];
    let reads = 0;
    const reader = (async () => {
      while (!stopped) {
        try {
          // Read-your-writes: this waits until the local file holds the client's last write.
          const { rows } = await client.execute('SELECT count(*) AS n FROM w');
          expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(0);
          reads++;
        } catch (error) {
          readFailures.push(error);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const waitFor = async (count: number): Promise<void> => {
      while (acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    await waitFor(30);
    await client.sync();
    const bookmark = client.bookmark!;
    const acknowledgedBefore = acknowledged.length;
    await first.kill('SIGKILL');
    const next = await cluster.primary(20_000, first);
    const readsAtElection = reads;
    await waitFor(acknowledgedBefore + 30);
    stopped = true;
    await Promise.all([writer, reader]);

    expect(readFailures).toEqual([]);
    expect(reads).toBeGreaterThan(readsAtElection);
    for (const code of failed.keys()) expect(FAILOVER_CODES.has(code)).toBe(true);
    // Every acknowledged row, read from the local file (onReplicaLag 'error': never from a node),
    // and none twice.
    const { rows } = await client.execute('SELECT uid FROM w');
    const local = rows.map((row) => String(row.uid));
    expect(new Set(local).size).toBe(local.length);
    const have = new Set(local);
    expect(acknowledged.filter((uid) => !have.has(uid))).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(acknowledgedBefore + 30);
    // Its writes after the failover went to the new primary, whose epoch is newer.
    expect(BigInt((await next.health())!.epoch)).toBeGreaterThan(firstEpoch);

    // A bookmark taken before the failover is still one a reader of the new term can wait for.
    const later = createClient({
      url: `file:${path.join(temp.dir, 'later.db')}`,
      ...options,
      bookmark,
      onReplicaLag: 'error',
    });
    clients.push(later);
    const counted = await later.execute('SELECT count(*) AS n FROM w');
    expect(Number(counted.rows[0]!.n)).toBeGreaterThanOrEqual(acknowledgedBefore);
    const since = await client.execute('SELECT count(*) AS n FROM w');
    expect(Number(since.rows[0]!.n)).toBe(local.length);
  });
});
