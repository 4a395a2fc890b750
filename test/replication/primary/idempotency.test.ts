import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

const CHILD = fileURLToPath(new URL('./primary-child.ts', import.meta.url));
const temp = useTempDir();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function primary(options: Parameters<typeof startPrimary>[0]): Promise<Primary> {
  const started = await startPrimary(options);
  cleanups.push(() => started.close());
  return started;
}

/** POSTs `body` with an `Idempotency-Key`; resolves with the status, the parsed body and whether it was a replay. */
async function keyed(
  url: string,
  route: string,
  body: unknown,
  key: string,
  token?: string,
): Promise<{ status: number; body: any; replayed: boolean }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': key };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const payload = body === undefined ? '' : JSON.stringify(body);
  const response = await fetch(`${url}${route}`, { method: 'POST', headers, body: payload });
  return {
    status: response.status,
    body: JSON.parse(await response.text()),
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

async function count(url: string, token?: string): Promise<number> {
  return (await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, token)).body.rows[0][0];
}

/** Starts primary-child.ts with `options`; resolves with the process and its URL. */
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

const INSERT = { sql: 'INSERT INTO t (v) VALUES (?)', args: ['a'] };

describe('Idempotency-Key on the primary', () => {
  it('applies a keyed write once: a retry gets the first answer, position included', async () => {
    const p = await primary({ path: temp.file('app.db') });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    const first = await keyed(p.url, '/v1/execute', INSERT, 'k-1');
    expect(first).toMatchObject({ status: 200, replayed: false, body: { rowsAffected: 1, lastInsertRowid: '1' } });
    await call(p.url, '/v1/execute', INSERT);
    const again = await keyed(p.url, '/v1/execute', INSERT, 'k-1');
    expect(again).toEqual({ ...first, replayed: true });
    expect(await count(p.url)).toBe(2);

    const batch = { statements: [INSERT, { sql: 'UPDATE t SET v = ? RETURNING id', args: ['b'] }] };
    const firstBatch = await keyed(p.url, '/v1/batch', batch, 'k-2');
    expect(firstBatch.body.results[0].lastInsertRowid).toBe('3');
    expect(await keyed(p.url, '/v1/batch', batch, 'k-2')).toEqual({ ...firstBatch, replayed: true });
    expect(await count(p.url)).toBe(3);
  });

  it('refuses a malformed key with 400 BAD_IDEMPOTENCY_KEY and runs nothing', async () => {
    const p = await primary({ path: temp.file('app.db') });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    for (const key of ['', 'x'.repeat(129), 'tab\there']) {
      const answer = await keyed(p.url, '/v1/execute', INSERT, key).catch(() => undefined);
      // fetch itself refuses some header values; those the server sees must be refused there.
      if (answer === undefined) continue;
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'BAD_IDEMPOTENCY_KEY' } } });
    }
    const raw = await fetch(`${p.url}/v1/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(129) },
      body: JSON.stringify(INSERT),
    });
    expect(raw.status).toBe(400);
    // Sent twice, as two header lines (fetch would join them into one).
    const repeated = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${p.url}/v1/execute`, { method: 'POST' }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.setHeader('content-type', 'application/json');
      request.setHeader('idempotency-key', ['a', 'b']);
      request.on('error', reject);
      request.end(JSON.stringify(INSERT));
    });
    expect(repeated).toBe(400);
    expect(await count(p.url)).toBe(0);
  });

  it("scopes keys by token: one token's key never answers another's request", async () => {
    const p = await primary({ path: temp.file('app.db'), tokens: { write: ['alice', 'bob'] } });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' }, 'alice');
    const alice = await keyed(p.url, '/v1/execute', INSERT, 'shared', 'alice');
    const bob = await keyed(p.url, '/v1/execute', INSERT, 'shared', 'bob');
    expect(alice.body.lastInsertRowid).toBe('1');
    expect(bob).toMatchObject({ replayed: false, body: { lastInsertRowid: '2' } });
    expect(await count(p.url, 'alice')).toBe(2);
  });

  it('answers a retry 409 ALREADY_APPLIED when the first answer was too large to keep', async () => {
    const p = await primary({ path: temp.file('app.db') });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    const big = { sql: 'INSERT INTO t (v) VALUES (?) RETURNING v', args: ['x'.repeat(70_000)] };
    expect((await keyed(p.url, '/v1/execute', big, 'big')).body.rows[0][0]).toHaveLength(70_000);
    const retry = await keyed(p.url, '/v1/execute', big, 'big');
    expect(retry).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_APPLIED' } } });
    expect(await count(p.url)).toBe(1);
  });

  it("applies an interactive transaction's keyed commit once: a retry gets the first answer", async () => {
    const p = await primary({ path: temp.file('app.db') });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    const { id } = (await call(p.url, '/v1/transactions', { mode: 'write' })).body;
    await call(p.url, `/v1/transactions/${id}/execute`, INSERT);
    const commit = await keyed(p.url, `/v1/transactions/${id}/commit`, undefined, 'c-1');
    expect(commit).toMatchObject({ status: 200, replayed: false });
    expect(await keyed(p.url, `/v1/transactions/${id}/commit`, undefined, 'c-1')).toEqual({
      ...commit,
      replayed: true,
    });
    expect(await count(p.url)).toBe(1);
    // A commit that never ran is not found under its key: the transaction is over, not committed.
    const rolledBack = (await call(p.url, '/v1/transactions', { mode: 'write' })).body.id;
    await call(p.url, `/v1/transactions/${rolledBack}/rollback`, {});
    const late = await keyed(p.url, `/v1/transactions/${rolledBack}/commit`, undefined, 'c-2');
    expect(late).toMatchObject({ status: 404, body: { error: { code: 'TRANSACTION_NOT_FOUND' } } });
  });

  it('runs a keyed read, a write that changes nothing, or a VACUUM, as usual', async () => {
    const p = await primary({ path: temp.file('app.db') });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    expect((await keyed(p.url, '/v1/execute', { sql: 'SELECT 7' }, 'r')).body.rows).toEqual([[7]]);
    const none = { sql: 'UPDATE t SET v = 1 WHERE id = 99' };
    expect(await keyed(p.url, '/v1/execute', none, 'u')).toMatchObject({ status: 200, body: { rowsAffected: 0 } });
    // VACUUM cannot run inside a transaction: it runs unkeyed (once more changes nothing).
    expect(await keyed(p.url, '/v1/execute', { sql: 'VACUUM' }, 'v')).toMatchObject({ status: 200 });
  });

  it('knows a key while its record is in the log: once compaction removed it, a retry runs again', async () => {
    const p = await primary({ path: temp.file('app.db'), logRetainTxids: 2, logSegmentBytes: 16 * 1024 });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    await keyed(p.url, '/v1/execute', INSERT, 'old');
    expect(await keyed(p.url, '/v1/execute', INSERT, 'old')).toMatchObject({ replayed: true });
    const first = async () => BigInt((await call(p.url, '/status')).body.log.firstTxid);
    const keyedAt = 2n;
    while ((await first()) <= keyedAt)
      await call(p.url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (randomblob(9000))' });
    const before = await count(p.url);
    expect(await keyed(p.url, '/v1/execute', INSERT, 'old')).toMatchObject({ status: 200, replayed: false });
    expect(await count(p.url)).toBe(before + 1);
  });

  it('answers a retry from the log after a SIGKILL between commit and answer, and after a restart', async () => {
    const file = temp.file('app.db');
    // In quorum mode with no replica a write commits, then waits for a report: killed there, it
    // is committed and unanswered.
    const first = await startChild(file, { durability: 'quorum', quorumTimeoutMs: 60_000 });
    // Resolves once the write is committed, with its answer to come (wrapped: not awaited here).
    const committed = async (write: () => Promise<unknown>): Promise<{ answer: Promise<unknown> }> => {
      const before = (await call(first.url, '/status')).body.position as string;
      const answer = write().catch((error: unknown) => error);
      while ((await call(first.url, '/status')).body.position === before) await new Promise((r) => setTimeout(r, 10));
      return { answer };
    };
    await committed(() => call(first.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' }));
    const lost = await committed(() => keyed(first.url, '/v1/execute', INSERT, 'lost-answer'));
    first.child.kill('SIGKILL');
    expect(await lost.answer).toBeInstanceOf(Error);

    const second = await startChild(file, {});
    const retry = await keyed(second.url, '/v1/execute', INSERT, 'lost-answer');
    expect(retry).toMatchObject({ status: 200, replayed: true, body: { rowsAffected: 1, lastInsertRowid: '1' } });
    expect(retry.body.position).toBe((await call(second.url, '/status')).body.position);
    expect(await count(second.url)).toBe(1);
    second.child.kill('SIGKILL');
    await new Promise((r) => second.child.once('exit', r));

    // Built from the log at every start: the key is still known after another restart.
    const third = await startChild(file, {});
    expect(await keyed(third.url, '/v1/execute', INSERT, 'lost-answer')).toMatchObject({ replayed: true });
    expect(await count(third.url)).toBe(1);
  });
});
