import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, createClient } from '../../../core/index.ts';
import { HttpTransport } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const CHILD = fileURLToPath(new URL('../primary/primary-child.ts', import.meta.url));
const temp = useTempDir();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a primary in a child process (primary-child.ts) with `options`. */
async function startChild(file: string, options: object): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
  if (!line.startsWith('url ')) throw new Error(line);
  return { child, url: line.slice(4) };
}

/**
 * A TCP proxy in front of `target` that, while `cut()` says so, resets the client's connection
 * as soon as the primary's answer to a statement (`POST /v1/…`) starts: the request was forwarded
 * and run, its answer lost. Log streams and other requests pass.
 */
async function lossyProxy(
  target: string,
  cut: (request: string) => boolean,
): Promise<{ url: string; requests: string[] }> {
  const { hostname, port } = new URL(target);
  const requests: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    let statement: string | undefined;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      if (/^[A-Z]+ \//.test(text)) {
        statement = text.startsWith('POST /v1/') ? text : undefined;
        if (statement !== undefined) requests.push(text);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (statement === undefined || !cut(statement)) return void client.write(chunk);
      client.resetAndDestroy();
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests };
}

function transport(syncUrl: string, failoverTimeoutMs: number): HttpTransport {
  const made = new HttpTransport({ syncUrl, failoverTimeoutMs });
  cleanups.push(() => made.close());
  return made;
}

const statement = (sql: string, ...args: unknown[]) => ({ sql, args }) as never;
const keyOf = (request: string) => /idempotency-key: (.+)\r\n/i.exec(request)?.[1];

async function rows(t: HttpTransport): Promise<number> {
  return Number((await t.execute(statement('SELECT count(*) FROM t'))).result.rows[0]![0]);
}

describe('a write whose answer is lost', () => {
  it('is sent again with the same key and applied once; the client gets the first answer', async () => {
    const primary = await startChild(temp.file('app.db'), {});
    let cuts = 0;
    const proxy = await lossyProxy(primary.url, () => cuts > 0 && cuts-- > 0);
    const t = transport(proxy.url, 10_000);
    await t.execute(statement('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
    await t.execute(statement('INSERT INTO t (v) VALUES (?)', 'before'));

    cuts = 2;
    const sent = proxy.requests.length;
    const { result } = await t.execute(statement('INSERT INTO t (v) VALUES (?)', 'once'));
    expect(result.rowsAffected).toBe(1);
    expect(result.lastInsertRowid).toBe(2n);
    const tries = proxy.requests.slice(sent).map(keyOf);
    expect(tries).toHaveLength(3);
    expect(new Set(tries).size).toBe(1);
    expect(await rows(t)).toBe(2);

    cuts = 1;
    const { results } = await t.batch([statement('INSERT INTO t (v) VALUES (?)', 'batch')], 'write');
    expect(results[0]!.lastInsertRowid).toBe(3n);
    expect(await rows(t)).toBe(3);
  });

  it('is invisible to a replica client: execute resolves with the first result, applied once', async () => {
    const primary = await startChild(temp.file('app.db'), {});
    let cuts = 0;
    const proxy = await lossyProxy(primary.url, () => cuts > 0 && cuts-- > 0);
    const client = createClient({
      url: `file:${temp.file('replica.db')}`,
      syncUrl: proxy.url,
      failoverTimeout: 10_000,
    });
    cleanups.push(() => client.close());
    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    cuts = 1;
    const result = await client.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['once'] });
    expect(cuts).toBe(0);
    expect(result.rowsAffected).toBe(1);
    expect(result.lastInsertRowid).toBe(1n);
    // Read locally, at the write's position.
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
  });

  it("is the same for an interactive transaction's commit: sent again, applied once", async () => {
    const primary = await startChild(temp.file('app.db'), {});
    let cuts = 0;
    const proxy = await lossyProxy(primary.url, (request) => request.includes('/commit ') && cuts > 0 && cuts-- > 0);
    const t = transport(proxy.url, 10_000);
    await t.execute(statement('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
    const tx = await t.transaction('write');
    await tx.execute(statement('INSERT INTO t (v) VALUES (?)', 'in a transaction'));
    cuts = 1;
    const { position } = await tx.commit();
    expect(cuts).toBe(0);
    const commits = proxy.requests.filter((request) => request.includes('/commit '));
    expect(commits).toHaveLength(2);
    expect(keyOf(commits[0]!)).toBe(keyOf(commits[1]!));
    expect(position).toBe((await t.execute(statement('SELECT 1'))).position);
    expect(await rows(t)).toBe(1);
  });

  it('fails WRITE_OUTCOME_UNKNOWN once failoverTimeoutMs has passed, having applied it once', async () => {
    const primary = await startChild(temp.file('app.db'), {});
    let cutting = false;
    const proxy = await lossyProxy(primary.url, () => cutting);
    const t = transport(proxy.url, 500);
    await t.execute(statement('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
    cutting = true;
    const sent = proxy.requests.length;
    const error = await t.execute(statement('INSERT INTO t (v) VALUES (1)')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN' });
    expect(proxy.requests.length - sent).toBeGreaterThan(1);
    cutting = false;
    expect(await rows(t)).toBe(1);
  });

  it('is answered from the log by the primary restarted after a SIGKILL between commit and answer', async () => {
    const file = temp.file('app.db');
    const setup = await startChild(file, {});
    const port = Number(new URL(setup.url).port);
    const t = transport(setup.url, 30_000);
    await t.execute(statement('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)'));
    setup.child.kill('SIGKILL');
    await new Promise((r) => setup.child.once('exit', r));

    // In quorum mode with no replica a write commits, then waits for a report: it is killed there.
    const first = await startChild(file, { port, durability: 'quorum', quorumTimeoutMs: 60_000 });
    const status = async () => ((await (await fetch(`${first.url}/status`)).json()) as { position: string }).position;
    const before = await status();
    const write = t.execute(statement('INSERT INTO t (v) VALUES (?)', 'once'));
    while ((await status()) === before) await new Promise((r) => setTimeout(r, 10));
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    await startChild(file, { port });

    const { result } = await write;
    expect(result.lastInsertRowid).toBe(1n);
    expect(result.rowsAffected).toBe(1);
    expect(await rows(t)).toBe(1);
  });
});
