import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../../examples/cluster/cluster-node.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { expectByteIdentical, primaryExecute, primaryPosition, txidOf, useCluster } from './cluster-nodes.ts';

type Executed = {
  rows: Array<Record<string, unknown>>;
  rowsAffected: number;
  lastInsertRowid: bigint | undefined;
  bookmark: string;
};

describe('cluster of separate processes', () => {
  const temp = useTempDir();
  const cluster = useCluster();

  it('ends two replicas byte-identical to the primary after a mixed load through both and the primary', async () => {
    const files = {
      p: path.join(temp.dir, 'primary.db'),
      a: path.join(temp.dir, 'a.db'),
      b: path.join(temp.dir, 'b.db'),
    };
    const primary = await cluster.primary(files.p);
    await primaryExecute(
      primary.url,
      'CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT, origin TEXT, n INTEGER DEFAULT 0)',
    );
    const a = await cluster.replica('replica A', files.a, primary.url);
    const b = await cluster.replica('replica B', files.b, primary.url);

    const deadline = Date.now() + 6000;
    let ops = 0;
    async function writer(node: ClusterNode, origin: string): Promise<void> {
      for (let i = 0; Date.now() < deadline; i++) {
        const v = `${origin}-${i}-${'x'.repeat(i % 300)}`;
        const ins = await node.call<Executed>('execute', {
          sql: 'INSERT INTO kv (v, origin) VALUES (?, ?)',
          args: [v, origin],
        });
        // Read-your-writes: the replica serves the row it was just told about.
        const got = await node.call<Executed>('execute', {
          sql: 'SELECT v FROM kv WHERE k = ?',
          args: [ins.lastInsertRowid],
        });
        expect(got.rows[0]?.v).toBe(v);
        if (i % 5 === 0) await node.call('execute', { sql: 'UPDATE kv SET n = n + 1 WHERE k % 7 = ?', args: [i % 7] });
        if (i % 11 === 0)
          await node.call('execute', {
            sql: 'DELETE FROM kv WHERE k IN (SELECT k FROM kv WHERE origin = ? ORDER BY k LIMIT 2)',
            args: [origin],
          });
        if (i % 13 === 0) {
          await node.call(
            'batch',
            [
              { sql: 'INSERT INTO kv (v, origin) VALUES (?, ?)', args: [`${v}-batch`, origin] },
              { sql: 'UPDATE kv SET v = upper(v) WHERE k = (SELECT max(k) FROM kv)', args: [] },
            ],
            'write',
          );
        }
        ops += 2;
      }
    }
    async function direct(): Promise<void> {
      for (let i = 0; Date.now() < deadline; i++) {
        await primaryExecute(primary.url, 'INSERT INTO kv (v, origin) VALUES (randomblob(?), ?)', [
          1 + (i % 900),
          'primary',
        ]);
        ops++;
      }
    }
    async function reader(node: ClusterNode): Promise<void> {
      while (Date.now() < deadline) {
        const rs = await node.call<Executed>('execute', 'SELECT count(*) AS n, sum(length(v)) AS bytes FROM kv');
        expect(rs.rows[0]!.n).toBeGreaterThanOrEqual(0);
        ops++;
      }
    }
    await Promise.all([writer(a, 'a'), writer(b, 'b'), direct(), reader(a), reader(b)]);
    expect(ops).toBeGreaterThan(200);
    expect(txidOf(await primaryPosition(primary.url))).toBeGreaterThan(100n);

    await expectByteIdentical(primary, files.p, [
      [a, files.a],
      [b, files.b],
    ]);
  });

  it('replicates CREATE, ALTER, DROP and VACUUM', async () => {
    const files = {
      p: path.join(temp.dir, 'primary.db'),
      a: path.join(temp.dir, 'a.db'),
      b: path.join(temp.dir, 'b.db'),
    };
    const primary = await cluster.primary(files.p);
    const a = await cluster.replica('replica A', files.a, primary.url);
    const b = await cluster.replica('replica B', files.b, primary.url);
    const run = (sql: string, args: unknown[] = []): Promise<Executed> => a.call<Executed>('execute', { sql, args });

    await run('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
    await run('CREATE TABLE scratch (x)');
    for (let i = 0; i < 200; i++) await run('INSERT INTO items (name) VALUES (?)', [`item ${i} ${'y'.repeat(200)}`]);
    await run('INSERT INTO scratch SELECT randomblob(1000) FROM items');
    await run('ALTER TABLE items ADD COLUMN price REAL DEFAULT 1.5');
    await run('ALTER TABLE items RENAME COLUMN name TO title');
    await run('ALTER TABLE items RENAME TO products');
    await run('CREATE INDEX products_title ON products (title)');
    await run('CREATE VIEW cheap AS SELECT id FROM products WHERE price < 2');
    await run(
      'CREATE TRIGGER products_ai AFTER INSERT ON products BEGIN UPDATE products SET price = 3 WHERE id = new.id; END',
    );
    await run('DROP TABLE scratch');
    const beforeVacuum = Number(
      (
        await b.call<Executed>(
          'readAt',
          (await run('INSERT INTO products (title) VALUES (?)', ['after'])).bookmark,
          'PRAGMA page_count',
        )
      ).rows[0]!.page_count,
    );
    const vacuum = await run('VACUUM');

    const schema = await b.call<Executed>(
      'readAt',
      vacuum.bookmark,
      'SELECT type, name, sql FROM sqlite_schema ORDER BY name',
    );
    expect(schema.rows.map((r) => `${r.type} ${r.name}`)).toEqual([
      'view cheap',
      'table products',
      'trigger products_ai',
      'index products_title',
    ]);
    expect(schema.rows.find((r) => r.name === 'products')!.sql).toMatch(/title TEXT, price REAL DEFAULT 1.5/);
    const after = await b.call<Executed>(
      'readAt',
      vacuum.bookmark,
      "SELECT count(*) AS n, (SELECT price FROM products WHERE title = 'after') AS p, (SELECT count(*) FROM cheap) AS cheap FROM products",
    );
    expect(after.rows[0]).toEqual({ n: 201, p: 3, cheap: 200 });
    // VACUUM gave back the dropped table's pages, on the replica too.
    const pages = Number((await b.call<Executed>('readAt', vacuum.bookmark, 'PRAGMA page_count')).rows[0]!.page_count);
    expect(pages).toBeLessThan(beforeVacuum);

    await expectByteIdentical(primary, files.p, [
      [a, files.a],
      [b, files.b],
    ]);
  });

  it('resumes a replica killed with SIGKILL mid-stream from its persisted position, without a snapshot', async () => {
    const files = { p: path.join(temp.dir, 'primary.db'), a: path.join(temp.dir, 'a.db') };
    const primary = await cluster.primary(files.p);
    await primaryExecute(primary.url, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    let a = await cluster.replica('replica A', files.a, primary.url);

    let writing = true;
    const writes = (async () => {
      for (let i = 0; writing; i++)
        await primaryExecute(primary.url, 'INSERT INTO t (v) VALUES (randomblob(?))', [100 + (i % 4000)]);
    })();
    await new Promise((r) => setTimeout(r, 800));
    const applied = txidOf(await a.call<string>('position'));
    expect(applied).toBeGreaterThan(5n);
    a.kill('SIGKILL');
    await a.exited();
    await new Promise((r) => setTimeout(r, 500));
    const atRestart = txidOf(await primaryPosition(primary.url));

    a = await cluster.replica('replica A', files.a, primary.url);
    const resumedFrom = txidOf(a.ready as string);
    expect(resumedFrom).toBeGreaterThanOrEqual(applied);
    expect(resumedFrom).toBeLessThan(atRestart);
    await new Promise((r) => setTimeout(r, 500));
    writing = false;
    await writes;

    // The follower logs every snapshot it takes after the first; it only reports following on.
    const position = await primaryPosition(primary.url);
    expect(await a.call('sync')).toBe(position);
    expect(a.stderr).not.toMatch(/snapshot/);
    expect(a.stderr).toContain(`following ${primary.url} from ${a.ready as string}`);
    await expectByteIdentical(primary, files.p, [[a, files.a]]);
  });
});
