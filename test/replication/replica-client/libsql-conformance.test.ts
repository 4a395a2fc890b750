import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createClient, type Client } from '../../../core/index.ts';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { libsqlConformance } from '../../client/libsql-conformance.ts';

const temp = useTempDir();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
let n = 0;

/** A primary (its idle transaction timeout long, so that a held writer shows) and a replica client of it. */
async function replicaSetup(): Promise<{
  primary: Primary;
  client: Client;
  reopen: (bookmark: string | undefined) => Promise<Client>;
}> {
  const primary = await startPrimary({ path: path.join(temp.dir, `primary${n}.db`), transactionTimeoutMs: 60_000 });
  cleanups.push(() => primary.close());
  const replicaFile = path.join(temp.dir, `replica${n++}.db`);
  const open = (bookmark?: string): Client => {
    const client = createClient({
      url: `file:${replicaFile}`,
      syncUrl: primary.url,
      ...(bookmark === undefined ? {} : { bookmark }),
    });
    cleanups.push(() => client.close());
    return client;
  };
  const client = open();
  await client.execute('CREATE TABLE t (x INTEGER PRIMARY KEY)');
  return { primary, client, reopen: async (bookmark) => open(bookmark) };
}

libsqlConformance('replica client', replicaSetup);

it(
  "frees the primary's writer at once when a transaction and then its client are closed",
  { timeout: 20_000 },
  async () => {
    const { primary, client } = await replicaSetup();
    const tx = await client.transaction('write');
    await tx.execute('INSERT INTO t VALUES (1)');
    tx.close();
    await client.close();
    // Before the fix the rollback was aborted by close(): the primary held the writer for its 60 s timeout.
    const other = createClient({ url: `file:${path.join(temp.dir, 'other.db')}`, syncUrl: primary.url });
    cleanups.push(() => other.close());
    await other.execute('INSERT INTO t VALUES (2)');
    expect((await other.execute('SELECT x FROM t')).rows.map((r) => r.x)).toEqual([2]);
  },
);

it(
  "frees the primary's writer at once when a client is closed with a transaction still open",
  { timeout: 20_000 },
  async () => {
    const { primary, client } = await replicaSetup();
    const tx = await client.transaction('write');
    await tx.execute('INSERT INTO t VALUES (1)');
    await client.close();
    expect(tx.closed).toBe(true);
    const other = createClient({ url: `file:${path.join(temp.dir, 'other.db')}`, syncUrl: primary.url });
    cleanups.push(() => other.close());
    await other.execute('INSERT INTO t VALUES (2)');
    expect((await other.execute('SELECT x FROM t')).rows.map((r) => r.x)).toEqual([2]);
  },
);

it('holds a replica of a :memory: url in a private temporary directory, removed by close()', async () => {
  const primary = await startPrimary({ path: path.join(temp.dir, 'memory-primary.db') });
  cleanups.push(() => primary.close());
  const before = new Set(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('wasmlite-replica-')));
  const client = createClient({ url: ':memory:', syncUrl: primary.url });
  await client.execute('CREATE TABLE m (x)');
  await client.execute('INSERT INTO m VALUES (1)');
  expect((await client.execute('SELECT count(*) AS n FROM m')).rows[0]!.n).toBe(1);
  const made = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('wasmlite-replica-') && !before.has(name));
  expect(made).toHaveLength(1);
  await client.close();
  expect(fs.existsSync(path.join(os.tmpdir(), made[0]!))).toBe(false);
});
