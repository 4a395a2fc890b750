import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseChecksum, Position } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import {
  checkpoint,
  primaryExecute,
  primaryPosition,
  startCompactingPrimary,
  TOKEN,
  txidOf,
  useCluster,
} from './cluster-nodes.ts';

async function logFirstTxid(url: string): Promise<bigint> {
  const response = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return BigInt(((await response.json()) as { logFirstTxid: string }).logFirstTxid);
}

describe('log compaction across processes', () => {
  const temp = useTempDir();
  const cluster = useCluster();

  it('re-bootstraps a replica that was stopped while the primary compacted past it, ending byte-identical', async () => {
    const files = { p: path.join(temp.dir, 'primary.db'), a: path.join(temp.dir, 'a.db') };
    const primary = await startCompactingPrimary(files.p, 30, 8192);
    await primaryExecute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    let a = await cluster.replica('replica A', files.a, primary.url);
    for (let i = 0; i < 20; i++)
      await primaryExecute(primary.url, 'INSERT INTO t (v) VALUES (randomblob(?))', [200 + i * 10]);
    const stoppedAt = txidOf(await a.call<string>('sync'));
    await a.stop();

    for (let i = 0; i < 200; i++)
      await primaryExecute(primary.url, 'INSERT INTO t (v) VALUES (randomblob(?))', [100 + (i % 50) * 40]);
    await primaryExecute(primary.url, 'DELETE FROM t WHERE id % 3 = 0');
    expect(await logFirstTxid(primary.url)).toBeGreaterThan(stoppedAt + 1n);

    a = await cluster.replica('replica A', files.a, primary.url);
    expect(txidOf(a.ready as string)).toBe(stoppedAt);
    const position = await primaryPosition(primary.url);
    expect(await a.call('sync')).toBe(position);
    expect(a.stderr).toMatch(/re-bootstrapping from a snapshot/);

    await a.stop();
    await primary.stop();
    await checkpoint(files.p);
    const bytes = fs.readFileSync(files.p);
    expect(databaseChecksum(bytes)).toBe(Position.parse(position).checksum);
    await checkpoint(files.a);
    expect(fs.readFileSync(files.a).equals(bytes), 'replica A differs from the primary').toBe(true);
  });
});
