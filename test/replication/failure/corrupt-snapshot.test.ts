import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../../core/index.ts';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from '../primary/http.ts';
import { LogProxy } from './log-proxy.ts';

/** What every row holds: a value computed from its id, with a marker for the proxy to damage. */
const MARKER = 'MARKER';
const valueOf = (id: number): string => `${MARKER}-${id}-${'x'.repeat(200)}`;

describe('a snapshot corrupted on the wire', () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function insert(primary: Primary, from: number, to: number): Promise<void> {
    for (let id = from; id <= to; id++) {
      expect(
        (
          await call(primary.url, '/v1/execute', {
            sql: 'INSERT INTO t (id, v) VALUES (?, ?)',
            args: [id, valueOf(id)],
          })
        ).status,
      ).toBe(200);
    }
  }

  function replicaClient(url: string): Client {
    const client = createClient({ url: `file:${path.join(temp.dir, 'replica.db')}`, syncUrl: url });
    cleanups.push(() => client.close());
    return client;
  }

  it('is never installed: the replica keeps serving verified rows through three damaged snapshots, retries and converges', async () => {
    // Every record is a segment of its own, and only the last 5 stay: a replica stopped for a
    // while finds the log compacted past it and must re-bootstrap.
    const primary = await startPrimary({
      path: path.join(temp.dir, 'primary.db'),
      logSegmentBytes: 4096,
      logRetainTxids: 5,
      heartbeatMs: 200,
    });
    cleanups.push(() => primary.close());
    const proxy = await LogProxy.start(primary.url);
    cleanups.push(() => proxy.close());
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)' });
    await insert(primary, 1, 20);

    const first = replicaClient(proxy.url);
    await first.sync();
    expect((await first.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(20);
    await first.close();

    await insert(primary, 21, 120);
    // The newest row's cell: live data, never moved by a page split. Three snapshots in a row
    // are damaged, as by a proxy that keeps flipping bits.
    const sent = proxy.corruptNextSnapshots(`${MARKER}-120-`, 3);
    const client = replicaClient(proxy.url);
    let reads = 0;
    const counts = new Set<number>();
    const wrong: string[] = [];
    // Reads the replica as fast as it answers until it has every row, checking each one.
    for (let deadline = Date.now() + 30_000; ; reads++) {
      const { rows } = await client.execute('SELECT id, v FROM t ORDER BY id');
      counts.add(rows.length);
      for (const row of rows)
        if (row.v !== valueOf(row.id as number)) wrong.push(`${String(row.id)}: ${String(row.v).slice(0, 20)}`);
      if (rows.length === 120 && proxy.corruptedSnapshots === 3) break;
      if (Date.now() > deadline) throw new Error(`the replica has ${rows.length} rows after 30 s`);
      // A local read never waits for I/O: let the follower's network and timers run.
      await new Promise((r) => setImmediate(r));
    }
    await sent;
    expect(wrong).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    // The old rows while the damaged snapshots were refused, then all of them: nothing between.
    expect([...counts].sort((x, y) => x - y)).toEqual([20, 120]);
    // The replica is where the primary is, and stays right after the bootstrap it retried.
    expect(((await client.sync()) as { position?: string }).position).toBe(primary.position().toString());
    const { rows } = await client.execute('SELECT id, v FROM t ORDER BY id');
    expect(rows.map((r) => r.v)).toEqual(Array.from({ length: 120 }, (_, i) => valueOf(i + 1)));
  });
});
