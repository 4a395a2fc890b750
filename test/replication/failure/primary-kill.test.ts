import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../../examples/cluster/cluster-node.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { expectByteIdentical, primaryExecute, primaryPosition, useCluster } from '../cluster/cluster-nodes.ts';
import { primaryRows, until } from './failure-helpers.ts';

type Executed = { rows: Array<Record<string, unknown>>; bookmark: string };

describe('a primary killed with SIGKILL under write load, two replicas attached', () => {
  const temp = useTempDir();
  const cluster = useCluster();

  it('keeps every acknowledged write exactly once on the restarted primary and both replicas, which end byte-identical', async () => {
    const files = {
      p: path.join(temp.dir, 'primary.db'),
      a: path.join(temp.dir, 'a.db'),
      b: path.join(temp.dir, 'b.db'),
    };
    let primary = await cluster.primary(files.p);
    const port = Number(new URL(primary.url).port);
    await primaryExecute(primary.url, 'CREATE TABLE w (uid TEXT NOT NULL, v BLOB)');
    const a = await cluster.replica('replica A', files.a, primary.url);
    const b = await cluster.replica('replica B', files.b, primary.url);

    // Each attempt gets a fresh uid, so a uid present twice is a write applied twice.
    const acknowledged: string[] = [];
    let failures = 0;
    let stop = false;
    async function viaReplica(node: ClusterNode, name: string): Promise<void> {
      for (let i = 0; !stop; i++) {
        const uid = `${name}-${i}`;
        try {
          await node.call<Executed>('execute', {
            sql: 'INSERT INTO w (uid, v) VALUES (?, randomblob(?))',
            args: [uid, 50 + (i % 2000)],
          });
          acknowledged.push(uid);
        } catch {
          failures++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    async function direct(name: string): Promise<void> {
      for (let i = 0; !stop; i++) {
        const uid = `${name}-${i}`;
        try {
          await primaryExecute(`http://127.0.0.1:${port}`, 'INSERT INTO w (uid, v) VALUES (?, randomblob(?))', [
            uid,
            100 + (i % 3000),
          ]);
          acknowledged.push(uid);
        } catch {
          failures++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
    const load = Promise.all([viaReplica(a, 'a'), viaReplica(b, 'b'), direct('d1'), direct('d2')]);

    await until('200 writes are acknowledged', () => acknowledged.length >= 200);
    const beforeKill = acknowledged.length;
    primary.kill('SIGKILL');
    await primary.exited();
    await new Promise((r) => setTimeout(r, 300));
    primary = await cluster.primary(files.p, port);
    expect(primary.url).toBe(`http://127.0.0.1:${port}`);
    await until('writes are acknowledged by the restarted primary', () => acknowledged.length >= beforeKill + 200);
    stop = true;
    await load;
    expect(failures).toBeGreaterThan(0);

    // The replicas reconnected by themselves: each reaches the restarted primary's position.
    const position = await primaryPosition(primary.url);
    for (const replica of [a, b]) expect(await replica.call('sync')).toBe(position);
    for (const replica of [a, b]) expect(replica.stderr).toMatch(/lost .*reconnecting/);

    const expectEachOnce = (rows: Array<[string, number]>, where: string): void => {
      const counts = new Map(rows);
      expect(
        acknowledged.filter((uid) => !counts.has(uid)),
        `acknowledged writes missing on ${where}`,
      ).toEqual([]);
      expect(
        rows.filter(([, n]) => n !== 1),
        `writes present twice on ${where}`,
      ).toEqual([]);
    };
    const sql = 'SELECT uid, count(*) AS n FROM w GROUP BY uid';
    expectEachOnce((await primaryRows(primary.url, sql)) as Array<[string, number]>, 'the primary');
    for (const replica of [a, b]) {
      const rs = await replica.call<Executed>('readAt', position, sql);
      expectEachOnce(
        rs.rows.map((r) => [r.uid as string, r.n as number]),
        replica.name,
      );
    }

    await expectByteIdentical(primary, files.p, [
      [a, files.a],
      [b, files.b],
    ]);
  });
});
