import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../support/temp-dir.ts';
import { expectByteIdentical, primaryExecute, primaryPosition, useCluster } from '../cluster/cluster-nodes.ts';

describe('a replica whose primary is replaced by another database on the same port', () => {
  const temp = useTempDir();
  const cluster = useCluster();

  it('re-bootstraps from the new primary and ends byte-identical to it', async () => {
    const files = {
      p1: path.join(temp.dir, 'one.db'),
      p2: path.join(temp.dir, 'two.db'),
      a: path.join(temp.dir, 'a.db'),
    };
    const first = await cluster.primary(files.p1);
    const port = Number(new URL(first.url).port);
    await primaryExecute(first.url, 'CREATE TABLE one (v BLOB)');
    for (let i = 0; i < 20; i++) await primaryExecute(first.url, 'INSERT INTO one VALUES (randomblob(500))');
    const a = await cluster.replica('replica A', files.a, first.url);
    expect(await a.call('sync')).toBe(await primaryPosition(first.url));
    await first.stop();

    const second = await cluster.primary(files.p2, port);
    await primaryExecute(second.url, 'CREATE TABLE two (w TEXT)');
    for (let i = 0; i < 5; i++) await primaryExecute(second.url, 'INSERT INTO two VALUES (?)', [`w${i}`]);
    expect(await a.call('sync')).toBe(await primaryPosition(second.url));
    expect(a.stderr).toMatch(/re-bootstrapping from a snapshot/);
    await expectByteIdentical(second, files.p2, [[a, files.a]]);
  });
});
