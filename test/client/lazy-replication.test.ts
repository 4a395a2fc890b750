// This file must not import replication/index.ts: it checks that createClient loads it itself.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, createClient } from '../../core/index.ts';
import { loadedReplicaBackend } from '../../core/client/load-replica-backend.ts';
import { useTempDir } from '../support/temp-dir.ts';

const CLI = fileURLToPath(new URL('../../replication/cli.ts', import.meta.url));
const CHILD = fileURLToPath(new URL('./replica-client-child.ts', import.meta.url));
const temp = useTempDir();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A primary in a child process (the CLI); resolves with its URL. */
async function startPrimaryProcess(): Promise<string> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'primary', path.join(temp.dir, 'primary.db'), '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return /(http:\/\/\S+),/.exec(line)![1]!;
}

it("gives a working replica client for a syncUrl without import 'wasmlite/replication' (loaded on first use)", async () => {
  const url = await startPrimaryProcess();
  expect(loadedReplicaBackend()).toBeUndefined();
  const client = createClient({ url: `file:${path.join(temp.dir, 'replica.db')}`, syncUrl: url });
  cleanups.push(() => client.close());
  expect(client.closed).toBe(false);
  await client.execute('CREATE TABLE t (x)');
  await client.execute({ sql: 'INSERT INTO t VALUES (?)', args: [42] });
  expect((await client.execute('SELECT x FROM t')).rows[0]!.x).toBe(42);
  expect(client.bookmark).toMatch(/^[0-9a-f]{16}\/[0-9a-f]{16}$/);
  expect(loadedReplicaBackend()).toBeTypeOf('function');

  await (client.close() as unknown);
  expect(client.closed).toBe(true);
  await expect(client.execute('SELECT 1')).rejects.toBeInstanceOf(ClientError);
});

it('refuses a syncUrl or authToken it cannot use at once, whether or not replication is loaded yet', () => {
  const url = `file:${path.join(temp.dir, 'r.db')}`;
  expect(() => createClient({ url, syncUrl: 'ftp://nowhere' })).toThrow(
    new TypeError(
      'Expected the "syncUrl" option to be an http:// or https:// URL, or a list of them (an array or comma-separated)',
    ),
  );
  expect(() => createClient({ url, syncUrl: 'http://127.0.0.1:1', authToken: '' })).toThrow(
    new TypeError('Expected the "authToken" option to be a non-empty string'),
  );
});

/** Runs replica-client-child.ts as an application runs: a fresh process, the package by its name. */
async function runChild(syncUrl: string, mode: 'fresh' | 'imported'): Promise<Record<string, unknown>> {
  const dir = path.join(temp.dir, mode);
  fs.mkdirSync(dir);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CHILD, syncUrl, dir, mode],
      { timeout: 30_000 },
      (error, out, err) => {
        if (error) reject(new Error(`${error.message}\n${err}`));
        else resolve(out);
      },
    );
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('one mechanism: createClient loads replication/ itself, by a dynamic import it keeps', () => {
  it('in a program that never imports wasmlite/replication, loads nothing of it until a syncUrl is given', async () => {
    const result = await runChild(await startPrimaryProcess(), 'fresh');
    expect(result).toMatchObject({
      afterImports: { loaded: 0, backend: false },
      afterLocalClient: 0,
      badSyncUrl:
        'TypeError: Expected the "syncUrl" option to be an http:// or https:// URL, or a list of them (an array or comma-separated)',
      value: 42,
    });
    expect(result.afterReplicaClient).toBeGreaterThan(0);
  });

  it("in a program that imports wasmlite/replication, the import registers nothing and the loaded backend is that module's", async () => {
    const result = await runChild(await startPrimaryProcess(), 'imported');
    expect(result).toMatchObject({
      afterImports: { backend: false },
      badSyncUrl:
        'TypeError: Expected the "syncUrl" option to be an http:// or https:// URL, or a list of them (an array or comma-separated)',
      value: 42,
      sameBackend: true,
    });
    expect((result.afterImports as { loaded: number }).loaded).toBeGreaterThan(0); // the import did load it
  });
});
