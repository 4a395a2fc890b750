import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, createClient, type Client } from '../../../core/index.ts';
import { HttpTransport, startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { startFakeNode, type FakeNode } from './fake-node.ts';

const temp = useTempDir();
const TOKEN = 'failover-secret';
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function primary(file = 'primary.db'): Promise<Primary> {
  const started = await startPrimary({ path: path.join(temp.dir, file), authToken: TOKEN });
  cleanups.push(() => started.close());
  return started;
}

async function node(behaviour: Parameters<typeof startFakeNode>[0]): Promise<FakeNode> {
  const started = await startFakeNode(behaviour);
  cleanups.push(() => started.close());
  return started;
}

function transport(syncUrl: string | string[], failoverTimeoutMs = 0): HttpTransport {
  const made = new HttpTransport({ syncUrl, authToken: TOKEN, failoverTimeoutMs });
  cleanups.push(() => made.close());
  return made;
}

const statement = (sql: string) => ({ sql, args: [] });

/** A port nothing listens on. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

describe('HttpTransport across a cluster', () => {
  it('follows 307 NOT_PRIMARY itself, keeping Authorization and the Idempotency-Key, and sends the epoch it saw', async () => {
    const p = await primary();
    const leader = await node({ kind: 'forward', to: p.url, epoch: 5n });
    const replica = await node({ kind: 'redirect', to: leader.url, epoch: 5n });
    const t = transport([replica.url]);
    await t.execute(statement('CREATE TABLE t (x)'));
    const { result } = await t.execute(statement('INSERT INTO t VALUES (1)'));
    expect(result.rowsAffected).toBe(1);
    expect(replica.seen).toHaveLength(1); // afterwards it goes to the primary directly
    expect(leader.seen).toHaveLength(2);
    const [first, second] = leader.seen;
    expect(first!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(first!.headers['idempotency-key']).toBe(replica.seen[0]!.headers['idempotency-key']);
    expect(first!.headers['idempotency-key']).toMatch(/^[\x21-\x7e]{1,128}$/);
    expect(second!.headers['idempotency-key']).not.toBe(first!.headers['idempotency-key']);
    expect(replica.seen[0]!.headers['wasmlite-epoch']).toBeUndefined();
    expect(second!.headers['wasmlite-epoch']).toBe('5');
    expect(t.epoch).toBe(5n);
  });

  it('tries the next node when one refuses the connection', async () => {
    const p = await primary();
    const leader = await node({ kind: 'forward', to: p.url, epoch: 1n });
    const t = transport(`${await deadUrl()},${leader.url}`);
    expect((await t.execute(statement('SELECT 1 AS one'))).result.rows[0]!.one).toBe(1);
  });

  it('waits out an election (503 PRIMARY_UNAVAILABLE) until the deadline, then follows the new primary', async () => {
    const p = await primary();
    const a = await node({ kind: 'unavailable', epoch: 3n });
    const b = await node({ kind: 'unavailable', epoch: 3n });
    const t = transport([a.url, b.url], 5000);
    setTimeout(() => {
      b.behave({ kind: 'forward', to: p.url, epoch: 4n });
      a.behave({ kind: 'redirect', to: b.url, epoch: 4n });
    }, 400);
    const started = Date.now();
    await t.execute(statement('CREATE TABLE t (x)'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(t.epoch).toBe(4n);
    const keys = new Set([...a.seen, ...b.seen].map((r) => r.headers['idempotency-key']));
    expect(keys.size).toBe(1); // one logical request, one key, however many nodes it was tried on
  });

  it('fails with PRIMARY_UNAVAILABLE when no node takes the request before the deadline: nothing ran', async () => {
    const a = await node({ kind: 'unavailable', epoch: 3n });
    const t = transport([a.url, await deadUrl()], 300);
    const started = Date.now();
    const error = await t.execute(statement('CREATE TABLE t (x)')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'PRIMARY_UNAVAILABLE' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(a.seen.length).toBeGreaterThan(1);
  });

  it('fails with WRITE_OUTCOME_UNKNOWN when the connection dies after a script was sent, and does not send it again', async () => {
    const p = await primary();
    const dying = await node({ kind: 'reset' });
    const other = await node({ kind: 'forward', to: p.url, epoch: 1n });
    const t = transport([dying.url, other.url], 2000);
    const error = await t.script('CREATE TABLE t (x)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN' });
    expect(dying.seen).toHaveLength(1);
    expect(other.seen).toHaveLength(0);
  });

  it('sends an execute whose connection died again, with the same key, to the next node before the deadline', async () => {
    const p = await primary();
    const dying = await node({ kind: 'reset' });
    const other = await node({ kind: 'forward', to: p.url, epoch: 1n });
    const t = transport([dying.url, other.url], 2000);
    await t.execute(statement('CREATE TABLE t (x)'));
    expect(dying.seen).toHaveLength(1);
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0]!.headers['idempotency-key']).toBe(dying.seen[0]!.headers['idempotency-key']);
  });

  it('treats a deposed primary (503 NOT_PRIMARY) as not the primary, and does not follow a node of an older epoch', async () => {
    const p = await primary();
    const oldLeader = await node({ kind: 'forward', to: p.url, epoch: 5n });
    const t = transport([oldLeader.url], 0);
    await t.execute(statement('CREATE TABLE t (x)'));
    // A new term (epoch 7) starts elsewhere; a stale replica still points at the old leader.
    const newLeader = await node({ kind: 'forward', to: p.url, epoch: 7n });
    const stale = await node({ kind: 'redirect', to: oldLeader.url, epoch: 5n });
    const fresh = await node({ kind: 'redirect', to: newLeader.url, epoch: 7n });
    oldLeader.behave({ kind: 'deposed', epoch: 5n });
    const cluster = transport([oldLeader.url, fresh.url, stale.url], 0);
    await cluster.execute(statement('INSERT INTO t VALUES (1)'));
    expect(cluster.epoch).toBe(7n);
    expect(newLeader.seen).toHaveLength(1);
    oldLeader.seen.length = 0;
    newLeader.behave({ kind: 'unavailable', epoch: 7n });
    fresh.behave({ kind: 'unavailable', epoch: 7n });
    const error = await cluster.execute(statement('INSERT INTO t VALUES (2)')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PRIMARY_UNAVAILABLE' });
    // The stale node's redirect to the old leader was not followed; the old leader was asked
    // only as a listed node, and with the newest epoch, so that it refuses.
    expect(oldLeader.seen.every((r) => r.headers['wasmlite-epoch'] === '7')).toBe(true);
    expect(oldLeader.seen).toHaveLength(1);
  });

  it('gives the primary limits their own codes', async () => {
    const p = await startPrimary({ path: path.join(temp.dir, 'limits.db'), authToken: TOKEN, maxResponseRows: 10 });
    cleanups.push(() => p.close());
    const t = transport(p.url);
    const error = await t
      .execute(statement('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 50) SELECT i FROM n'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
  });
});

describe('a replica client given several nodes', () => {
  it('writes through whichever is the primary, keeps reading locally while none is, and fails typed', async () => {
    const p = await primary();
    const leader = await node({ kind: 'forward', to: p.url, epoch: 2n });
    const follower = await node({ kind: 'redirect', to: leader.url, epoch: 2n });
    // The local replica follows the first node (the primary's log stream, through it).
    const client: Client = createClient({
      url: `file:${path.join(temp.dir, 'replica.db')}`,
      syncUrl: `${leader.url}, ${follower.url}`,
      authToken: TOKEN,
      failoverTimeout: 300,
    });
    cleanups.push(() => client.close());
    await client.execute('CREATE TABLE t (x)');
    await client.execute('INSERT INTO t VALUES (1)');
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    leader.behave({ kind: 'unavailable', epoch: 2n });
    follower.behave({ kind: 'unavailable', epoch: 2n });
    await expect(client.execute('INSERT INTO t VALUES (2)')).rejects.toMatchObject({ code: 'PRIMARY_UNAVAILABLE' });
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    // The other node wins the election: the old one now redirects to it.
    follower.behave({ kind: 'forward', to: p.url, epoch: 3n });
    leader.behave({ kind: 'redirect', to: follower.url, epoch: 3n });
    await client.execute('INSERT INTO t VALUES (2)');
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(2);
    // The follower's feed asks the nodes too (GET /health, /v1/log): the write is the last POST.
    const write = follower.seen.filter((request) => request.path === '/v1/execute').at(-1)!;
    expect(write.headers['wasmlite-epoch']).toBe('3');
  });

  it('checks syncUrl lists and failoverTimeout', () => {
    const url = `file:${path.join(temp.dir, 'r.db')}`;
    expect(() => createClient({ url, syncUrl: [] })).toThrow(ClientError);
    expect(() => createClient({ url, syncUrl: 'http://a:1, ftp://b' })).toThrow(/list of them/);
    expect(() => createClient({ url, syncUrl: ['http://a:1', 7 as unknown as string] })).toThrow(TypeError);
    expect(() => createClient({ url, syncUrl: 'http://a:1', failoverTimeout: -1 })).toThrow(/"failoverTimeout"/);
  });
});

describe('bookmarks across terms', () => {
  it('stay valid when the new primary carries on the same history', async () => {
    const file = path.join(temp.dir, 'history.db');
    const first = await startPrimary({ path: file, authToken: TOKEN });
    const writer = createClient({ url: `file:${path.join(temp.dir, 'w.db')}`, syncUrl: first.url, authToken: TOKEN });
    await writer.execute('CREATE TABLE t (x)');
    await writer.execute('INSERT INTO t VALUES (1)');
    const bookmark = writer.bookmark!;
    writer.close();
    await first.close();
    // The next term: another process, another address, the same database and log.
    const second = await startPrimary({ path: file, authToken: TOKEN });
    cleanups.push(() => second.close());
    const reader = createClient({
      url: `file:${path.join(temp.dir, 'r.db')}`,
      syncUrl: second.url,
      authToken: TOKEN,
      bookmark,
      onReplicaLag: 'error',
    });
    cleanups.push(() => reader.close());
    expect((await reader.execute('SELECT x FROM t')).rows.map((r) => r.x)).toEqual([1]);
    await reader.execute('INSERT INTO t VALUES (2)');
    expect(reader.bookmark! > bookmark).toBe(true);
    expect(fs.existsSync(path.join(temp.dir, 'r.db'))).toBe(true);
  });
});

describe('HttpTransport connections', () => {
  it('reuses one kept-alive connection for requests one after the other', async () => {
    const p = await primary();
    const n = await node({ kind: 'forward', to: p.url, epoch: 1n });
    const t = transport(n.url);
    for (let i = 0; i < 20; i++) await t.execute(statement('SELECT 1'));
    expect(n.connections()).toBe(1);
  });

  it('does not make independent requests wait for each other', async () => {
    const p = await primary();
    const slow = await node({ kind: 'forward', to: p.url, epoch: 1n, delayAnswerMs: 300 });
    const t = transport(slow.url);
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => t.execute(statement('SELECT 1'))));
    expect(Date.now() - started).toBeLessThan(6 * 300 - 300);
  });
});
