import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, createClient, type Client } from '../../../core/index.ts';
import { HttpPrimaryFeed, ReplicaFollower, startPrimary, type Primary } from '../../../replication/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { eventually, liveChecksum, requestCount, spawnPrimary } from './helpers.ts';

type ReplicaClientLike = Client & { readonly bookmark: string | undefined };

describe('replica client', () => {
  const temp = useTempDir();
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function primaryAt(file: string, port = 0): Promise<Primary> {
    const primary = await startPrimary({ path: file, port });
    cleanups.push(() => primary.close());
    return primary;
  }

  function replicaClient(file: string, url: string, extra: { bookmark?: string } = {}): ReplicaClientLike {
    const client = createClient({
      url: `file:${file}`,
      syncUrl: url,
      readYourWritesTimeout: 5000,
      onReplicaLag: 'error',
      ...extra,
    }) as ReplicaClientLike;
    cleanups.push(async () => {
      client.close();
      await new Promise((r) => setTimeout(r, 20));
    });
    return client;
  }

  it('bootstraps, follows, reads its own writes locally and ends byte-identical to the primary', async () => {
    const dir = temp.dir;
    const primary = await primaryAt(path.join(dir, 'primary.db'));
    const client = replicaClient(path.join(dir, 'replica.db'), primary.url);

    await client.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)');
    expect(client.bookmark).toBe(primary.position().toString());
    const inserted = await client.execute({
      sql: 'INSERT INTO t (v, b) VALUES (?, ?)',
      args: ['a', new Uint8Array([1, 2])],
    });
    expect(inserted.rowsAffected).toBe(1);
    expect(inserted.lastInsertRowid).toBe(1n);
    const rs = await client.execute('SELECT id, v, b FROM t');
    expect(rs.rows.map((r) => [r.id, r.v, Buffer.from(r.b as ArrayBuffer).toString('hex')])).toEqual([
      [1, 'a', '0102'],
    ]);

    const batch = await client.batch(
      [{ sql: 'INSERT INTO t (v) VALUES (?)', args: ['b'] }, 'SELECT count(*) AS n FROM t'],
      'write',
    );
    expect(batch[1]!.rows[0]!.n).toBe(2);
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(2);

    // Reads are served locally: the primary sees no request for them.
    const before = await requestCount(primary.url);
    for (let i = 0; i < 20; i++) await client.execute({ sql: 'SELECT v FROM t WHERE id = ?', args: [1] });
    await client.batch(['SELECT count(*) FROM t', 'SELECT max(id) FROM t']);
    expect(await requestCount(primary.url)).toBe(before + 1); // the /metrics request itself

    await client.sync();
    expect(await liveChecksum(path.join(dir, 'replica.db'))).toBe(primary.position().checksum);
  });

  it('returns integers from the primary as intMode asks, like local reads, and keeps REALs numbers', async () => {
    const primary = await primaryAt(path.join(temp.dir, 'primary.db'));
    const sql = 'INSERT INTO t (i, r) VALUES (?, ?) RETURNING id, i, r, 2.0 AS two';
    const expected = {
      number: [1, 7, 1.5, 2],
      bigint: [1n, 7n, 1.5, 2],
      string: ['1', '7', 1.5, 2],
    } as const;
    for (const intMode of ['number', 'bigint', 'string'] as const) {
      const client = createClient({
        url: `file:${path.join(temp.dir, `${intMode}.db`)}`,
        syncUrl: primary.url,
        intMode,
      });
      cleanups.push(async () => {
        client.close();
        await new Promise((r) => setTimeout(r, 20));
      });
      await client.execute('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, i INTEGER, r REAL)');
      await client.execute('DELETE FROM t');
      // Through the primary (RETURNING is not read-only), then the same row read locally.
      const returned = await client.execute({ sql, args: [7, 1.5] });
      expect([...returned.rows[0]!].slice(1)).toEqual(expected[intMode].slice(1));
      const local = await client.execute({ sql: 'SELECT id, i, r, 2.0 AS two FROM t WHERE i = ?', args: [7] });
      expect([...local.rows[0]!].slice(1)).toEqual([...returned.rows[0]!].slice(1));
      const tx = await client.transaction('write');
      const big = await tx.execute(
        intMode === 'number'
          ? 'SELECT 9007199254740991 AS big, 4.0 AS four'
          : 'SELECT 9007199254740993 AS big, 4.0 AS four',
      );
      await tx.rollback();
      expect([big.rows[0]!.big, big.rows[0]!.four]).toEqual([
        { number: 9007199254740991, bigint: 9007199254740993n, string: '9007199254740993' }[intMode],
        4,
      ]);
    }
    const numbers = createClient({ url: `file:${path.join(temp.dir, 'unsafe.db')}`, syncUrl: primary.url });
    cleanups.push(() => numbers.close());
    await expect(numbers.execute('INSERT INTO t (i) VALUES (9007199254740993) RETURNING i')).rejects.toThrow(
      /cannot be represented as a number/,
    );
  });

  it('close() resolves once the replica has stopped following, and again with the same promise', async () => {
    const primary = await primaryAt(path.join(temp.dir, 'primary.db'));
    const file = path.join(temp.dir, 'closing.db');
    const client = createClient({ url: `file:${file}`, syncUrl: primary.url });
    await client.execute('CREATE TABLE t (x)');
    await client.sync();
    const closing = (client as unknown as { close(): Promise<void> }).close();
    expect(closing).toBeInstanceOf(Promise);
    expect((client as unknown as { close(): Promise<void> }).close()).toBe(closing);
    await closing;
    expect(client.closed).toBe(true);
    const files = (): string =>
      fs
        .readdirSync(temp.dir)
        .filter((n) => n.startsWith('closing.db'))
        .sort()
        .join(',');
    const [before, names] = [fs.readFileSync(file), files()];
    const writer = createClient({ url: `file:${path.join(temp.dir, 'writer.db')}`, syncUrl: primary.url });
    cleanups.push(() => writer.close());
    for (let i = 0; i < 5; i++) await writer.execute({ sql: 'INSERT INTO t VALUES (?)', args: [i] });
    await new Promise((r) => setTimeout(r, 200));
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(files()).toBe(names);
  });

  it('after a write the primary refused, reads see what it collided with, even while the replica lags; rawCode intact', async () => {
    const primary = await primaryAt(path.join(temp.dir, 'primary.db'));
    // The lagging client's log stream passes through a link that stops delivering after bootstrap.
    let stalled = false;
    const link = http.createServer((req, res) => {
      const forward = http.request(
        `${primary.url}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          if (!req.url!.startsWith('/v1/log')) return void answer.pipe(res);
          answer.on('data', (chunk: Buffer) => stalled || res.write(chunk));
          answer.on('close', () => res.destroy());
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => link.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          link.close(() => resolve());
          link.closeAllConnections();
        }),
    );
    const linkUrl = `http://127.0.0.1:${(link.address() as { port: number }).port}`;

    const writer = replicaClient(path.join(temp.dir, 'writer.db'), primary.url);
    await writer.execute('CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)');
    const lagging = createClient({
      url: `file:${path.join(temp.dir, 'lagging.db')}`,
      syncUrl: linkUrl,
      readYourWritesTimeout: 200,
    });
    cleanups.push(() => lagging.close());
    await lagging.sync();
    stalled = true;
    await writer.execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['ada@example.com'] });

    const error = await lagging
      .execute({ sql: 'INSERT INTO users (email) VALUES (?)', args: ['ada@example.com'] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'LibsqlError',
      code: 'SQLITE_CONSTRAINT',
      extendedCode: 'SQLITE_CONSTRAINT_UNIQUE',
      rawCode: 2067,
    });
    // The replica has not applied the writer's insert, so this read goes to the primary.
    const found = await lagging.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: ['ada@example.com'] });
    expect(found.rows).toHaveLength(1);
  });

  it("gives a second client the first one's writes through its bookmark", async () => {
    const dir = temp.dir;
    const primary = await primaryAt(path.join(dir, 'primary.db'));
    const first = replicaClient(path.join(dir, 'one.db'), primary.url);
    await first.execute('CREATE TABLE t (x)');
    await first.sync();
    for (let i = 0; i < 5; i++) await first.execute({ sql: 'INSERT INTO t VALUES (?)', args: [i] });
    const second = replicaClient(path.join(dir, 'two.db'), primary.url, { bookmark: first.bookmark! });
    expect((await second.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(5);
  });

  it('routes by what SQLite reports read-only, never by the text', async () => {
    const dir = temp.dir;
    const primary = await primaryAt(path.join(dir, 'primary.db'));
    const client = replicaClient(path.join(dir, 'replica.db'), primary.url);
    await client.execute('CREATE TABLE t (x)');
    // A write that starts like a read goes to the primary.
    const rs = await client.execute('WITH v(x) AS (SELECT 7) INSERT INTO t SELECT x FROM v');
    expect(rs.rowsAffected).toBe(1);
    expect((await client.execute('SELECT x FROM t')).rows[0]!.x).toBe(7);
    const tx = await client.transaction('read');
    expect((await tx.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    await tx.commit();
    await expect(client.execute('INSERT INTO nope VALUES (1)')).rejects.toMatchObject({
      name: 'LibsqlError',
      code: 'SQLITE_ERROR',
    });
  });

  it('catches up from its persisted position after a restart, without a new snapshot', async () => {
    const dir = temp.dir;
    const primary = await primaryAt(path.join(dir, 'primary.db'));
    const file = path.join(dir, 'replica.db');
    const writer = replicaClient(path.join(dir, 'writer.db'), primary.url);
    await writer.execute('CREATE TABLE t (x)');
    const messages: string[] = [];
    let follower = ReplicaFollower.start({
      path: file,
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      minBackoffMs: 20,
      log: (m) => messages.push(m),
    });
    await follower.sync();
    await follower.close();
    for (let i = 0; i < 10; i++) await writer.execute({ sql: 'INSERT INTO t VALUES (?)', args: [i] });
    messages.length = 0;
    follower = ReplicaFollower.start({
      path: file,
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      minBackoffMs: 20,
      log: (m) => messages.push(m),
    });
    cleanups.push(() => follower.close());
    await follower.ready();
    expect(follower.position().txid).toBe(1n);
    await follower.waitFor(primary.position(), 5000);
    expect(messages.join('\n')).not.toMatch(/snapshot/);
    expect(await liveChecksum(file)).toBe(primary.position().checksum);
    await expect(follower.waitFor({ txid: 99n, checksum: 0n }, 50)).rejects.toMatchObject({
      name: 'ReplicaTimeoutError',
    });
  });

  it('re-bootstraps when the primary is another database', async () => {
    const dir = temp.dir;
    const first = await startPrimary({ path: path.join(dir, 'a.db') });
    const port = Number(new URL(first.url).port);
    const client = replicaClient(path.join(dir, 'replica.db'), first.url);
    await client.execute('CREATE TABLE a (x)');
    await client.execute('INSERT INTO a VALUES (1)');
    expect((await client.execute('SELECT count(*) AS n FROM a')).rows[0]!.n).toBe(1);
    await first.close();
    const second = await primaryAt(path.join(dir, 'b.db'), port);
    await eventually(async () => {
      await client.sync();
      expect((await client.execute("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'a'")).rows[0]!.n).toBe(0);
    });
    await client.execute('CREATE TABLE b (x)');
    expect((await client.execute('SELECT count(*) AS n FROM b')).rows[0]!.n).toBe(0);
    expect(await liveChecksum(path.join(dir, 'replica.db'))).toBe(second.position().checksum);
  });

  it('keeps reading when a primary in another process stops, fails writes fast, and catches up after it restarts', async () => {
    const dir = temp.dir;
    const primaryFile = path.join(dir, 'primary.db');
    let child = await spawnPrimary(primaryFile);
    cleanups.push(() => child.stop());
    const port = Number(new URL(child.url).port);
    const client = replicaClient(path.join(dir, 'replica.db'), child.url);
    await client.execute('CREATE TABLE t (x)');
    await client.execute('INSERT INTO t VALUES (1)');
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);

    await child.stop();
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);
    const started = Date.now();
    const error = await client.execute('INSERT INTO t VALUES (2)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('PRIMARY_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(1);

    child = await spawnPrimary(primaryFile, port);
    await eventually(() => client.execute('INSERT INTO t VALUES (2)'));
    expect((await client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(2);
    await client.sync();
    const status = (await (await fetch(`${child.url}/status`)).json()) as { position: string };
    await child.stop();
    expect(fs.existsSync(path.join(dir, 'replica.db-position'))).toBe(true);
    expect((await liveChecksum(path.join(dir, 'replica.db'))).toString(16).padStart(16, '0')).toBe(
      status.position.split('/')[1],
    );
  });

  it('without a reachable primary and no local copy, sends everything to the primary and fails with PRIMARY_UNAVAILABLE', async () => {
    const dir = temp.dir;
    const probe = await startPrimary({ path: path.join(dir, 'gone.db') });
    const url = probe.url;
    await probe.close();
    const client = createClient({
      url: `file:${path.join(dir, 'replica.db')}`,
      syncUrl: url,
      readYourWritesTimeout: 200,
      onReplicaLag: 'error',
    });
    cleanups.push(() => client.close());
    await expect(client.execute('SELECT 1')).rejects.toMatchObject({ code: 'PRIMARY_UNAVAILABLE' });
    await expect(client.execute('CREATE TABLE t (x)')).rejects.toMatchObject({ code: 'PRIMARY_UNAVAILABLE' });
  });

  it('on a bookmark the replica does not reach in time, reads from the primary or fails with REPLICA_LAG, per onReplicaLag', async () => {
    const dir = temp.dir;
    const primary = await primaryAt(path.join(dir, 'primary.db'));
    const writer = replicaClient(path.join(dir, 'writer.db'), primary.url);
    await writer.execute('CREATE TABLE t (x)');
    const ahead = '00000000000003e8/0000000000000000';
    const strict = createClient({
      url: `file:${path.join(dir, 'a.db')}`,
      syncUrl: primary.url,
      bookmark: ahead,
      readYourWritesTimeout: 100,
      onReplicaLag: 'error',
    });
    cleanups.push(() => strict.close());
    await expect(strict.execute('SELECT count(*) FROM t')).rejects.toMatchObject({ code: 'REPLICA_LAG' });
    await expect(strict.transaction('read')).rejects.toMatchObject({ code: 'REPLICA_LAG' });
    const lenient = createClient({
      url: `file:${path.join(dir, 'b.db')}`,
      syncUrl: primary.url,
      bookmark: ahead,
      readYourWritesTimeout: 100,
    });
    cleanups.push(() => lenient.close());
    // Its replica has bootstrapped (its first report reached the primary) before requests are
    // counted: the snapshot it fetches meanwhile is not the read this counts.
    await eventually(async () => {
      const status = (await (await fetch(`${primary.url}/status`)).json()) as { replicas: unknown[] };
      if (status.replicas.length < 3) throw new Error(`${status.replicas.length} replicas report`);
    });
    const before = await requestCount(primary.url);
    expect((await lenient.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    expect(await requestCount(primary.url)).toBe(before + 2); // the read, and /metrics
  });
});
