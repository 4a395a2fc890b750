// This file must not import replication/index.ts: it checks that createClient loads it itself.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { ClientError, createClient, type Client } from '../../core/index.ts';
import { replicaBackendFactory } from '../../core/client/transport.ts';
import { useTempDir } from '../support/temp-dir.ts';

const CLI = fileURLToPath(new URL('../../replication/cli.ts', import.meta.url));
const temp = useTempDir();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('gives a working replica client for a syncUrl without import \'wasmlite/replication\' (loaded on first use)', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'primary.db'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const url = /(http:\/\/\S+),/.exec(line)![1]!;

  expect(replicaBackendFactory()).toBeUndefined();
  const client = createClient({ url: `file:${path.join(temp.dir, 'replica.db')}`, syncUrl: url });
  cleanups.push(() => client.close());
  expect(client.closed).toBe(false);
  await client.execute('CREATE TABLE t (x)');
  await client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [42] });
  expect((await client.execute('SELECT x FROM t')).rows[0]!.x).toBe(42);
  expect(client.bookmark).toMatch(/^[0-9a-f]{16}\/[0-9a-f]{16}$/);
  expect(replicaBackendFactory()).toBeTypeOf('function');

  await (client.close() as unknown);
  expect(client.closed).toBe(true);
  await expect(client.execute('SELECT 1')).rejects.toBeInstanceOf(ClientError);
});

it('rejects every call with the reason when the replica client cannot be made', async () => {
  let client: Client | undefined;
  try {
    client = createClient({ url: `file:${path.join(temp.dir, 'r.db')}`, syncUrl: 'ftp://nowhere' });
    await expect(client.execute('SELECT 1')).rejects.toThrow(/syncUrl/);
  } catch (error) {
    // Once replication is loaded (by the test above), the bad URL is refused synchronously.
    expect(String(error)).toMatch(/syncUrl/);
  } finally {
    await (client?.close() as unknown);
  }
});
