import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseChecksum, Position } from '../../../replication/index.ts';
import type { ClusterNode } from '../../../examples/cluster/cluster-node.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { expectByteIdentical, primaryExecute, useCluster } from '../cluster/cluster-nodes.ts';
import { until } from './failure-helpers.ts';
import { LogProxy, type Corruption } from './log-proxy.ts';

type Executed = { rows: Array<Record<string, unknown>> };

/** The checksum of what the replica serves now, read page by page through its own client. */
async function servedChecksum(replica: ClusterNode): Promise<bigint> {
  const rs = await replica.call<Executed>('execute', 'SELECT data FROM sqlite_dbpage ORDER BY pgno');
  return databaseChecksum(Buffer.concat(rs.rows.map((r) => new Uint8Array(r.data as ArrayBuffer))));
}

describe('a log stream corrupted on the wire', () => {
  const temp = useTempDir();
  const cluster = useCluster();

  /** Corrupts one record of replica A's stream; resolves with how long A took to drop the stream. */
  async function run(kind: Corruption, rejection: RegExp): Promise<number> {
    const files = { p: path.join(temp.dir, 'primary.db'), a: path.join(temp.dir, 'a.db') };
    const primary = await cluster.primary(files.p);
    const proxy = await LogProxy.start(primary.url);
    try {
      await primaryExecute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
      const a = await cluster.replica('replica A', files.a, proxy.url);
      // Writes go on until a few after the corruption: enough for the primary to be ahead while the
      // replica is held, few enough for it to catch up quickly after.
      let budget = Infinity;
      const writes = (async () => {
        for (let i = 0; budget-- > 0; i++)
          await primaryExecute(primary.url, 'INSERT INTO t (v) VALUES (randomblob(?))', [100 + (i % 3000)]);
      })();
      writes.catch(() => {}); // awaited below; a failed test must not leave it unhandled
      await until(
        'replica A has applied some records',
        async () => Position.parse(await a.call<string>('position')).txid > 5n,
      );

      const txid = await proxy.corruptNext(kind);
      budget = 30;
      const corruptedAt = Date.now();
      const requestsAtCorruption = proxy.logRequests;
      // New log streams are held: the corrupted record stays the next one the replica could get.
      await until('replica A drops the stream and asks again', () => proxy.logRequests > requestsAtCorruption, 40_000);
      const dropAfterMs = Date.now() - corruptedAt;
      for (let i = 0; i < 5; i++) {
        const position = Position.parse(await a.call<string>('position'));
        expect(position.txid).toBe(txid - 1n);
        expect(await servedChecksum(a)).toBe(position.checksum);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(a.stderr).toMatch(rejection);

      proxy.release();
      await until(
        'replica A applies past the corrupted record',
        async () => Position.parse(await a.call<string>('position')).txid > txid,
      );
      await writes;
      expect(proxy.corrupted).toEqual([txid]);
      expect(a.stderr).not.toMatch(/snapshot/);
      await expectByteIdentical(primary, files.p, [[a, files.a]]);
      return dropAfterMs;
    } finally {
      await proxy.close();
    }
  }

  it('rejects a record with one flipped bit, applies nothing of it, reconnects and converges', async () => {
    await run('bit', /checksum mismatch.*reconnecting/);
  });

  it('rejects an absurd length prefix as soon as it is read, with an error naming the length', async () => {
    const dropAfterMs = await run('length', /length.*reconnecting/);
    expect(dropAfterMs).toBeLessThan(5000);
  }, 90_000);
});
