import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEngine } from '../../../core/sqlite3/engine.ts';
import { open } from '../../../core/index.ts';
import { HttpPrimaryFeed, ReplicaFollower, startPrimary, type Primary } from '../../../replication/index.ts';
import { databaseChecksum, Position } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

describe('snapshots', () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(): Promise<Primary> {
    const primary = await startPrimary({ path: path.join(temp.dir, 'app.db') });
    cleanups.push(() => primary.close());
    return primary;
  }

  it('streams a database many chunks long while writes go on, each snapshot matching its position, without growing the WebAssembly heap', async () => {
    const primary = await start();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)' });
    // 48 MiB: 48 × the 1 MiB chunk the primary reads at a time.
    expect(
      (
        await call(primary.url, '/v1/execute', {
          sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 48) INSERT INTO big (b) SELECT randomblob(1 << 20) FROM n`,
        })
      ).status,
    ).toBe(200);
    const heap = (await loadEngine()).u8.byteLength;

    let writing = true;
    let writes = 0;
    const writer = (async () => {
      while (writing) {
        await call(primary.url, '/v1/execute', {
          sql: 'UPDATE big SET b = randomblob(4096) WHERE id = ?',
          args: [1 + (writes % 48)],
        });
        writes++;
      }
    })();
    for (let i = 0; i < 3; i++) {
      const snapshot = await fetch(`${primary.url}/v1/snapshot`);
      const position = Position.parse(snapshot.headers.get('x-wasmlite-position')!);
      const bytes = new Uint8Array(await snapshot.arrayBuffer());
      expect(bytes.length).toBe(Number(snapshot.headers.get('content-length')));
      expect(bytes.length).toBeGreaterThan(48 << 20);
      expect(databaseChecksum(bytes)).toBe(position.checksum);
    }
    writing = false;
    await writer;
    expect(writes).toBeGreaterThan(0);
    // serialize() would have copied the whole database into the heap (and grown it for good).
    expect((await loadEngine()).u8.byteLength - heap).toBeLessThan(16 << 20);
  });

  it('bootstraps a replica from a streamed snapshot that ends byte-identical to the primary', async () => {
    const primary = await start();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)' });
    expect(
      (
        await call(primary.url, '/v1/execute', {
          sql: `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) INSERT INTO t (b) SELECT randomblob(3000) FROM n`,
        })
      ).status,
    ).toBe(200);
    const follower = ReplicaFollower.start({
      path: path.join(temp.dir, 'replica.db'),
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      log: () => {},
    });
    cleanups.push(() => follower.close());
    expect((await follower.sync()).toString()).toBe(primary.position().toString());
    const replica = await open(path.join(temp.dir, 'replica.db'), { readonly: true });
    cleanups.push(() => replica.close());
    expect(replica.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3000);
    expect(fs.existsSync(path.join(temp.dir, 'replica.db.snapshot-tmp'))).toBe(false);
  });

  it('never takes a snapshot cut off midway for a database: the replica retries and creates nothing', async () => {
    const primary = await start();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (x)' });
    // A proxy that forwards everything but cuts the first two snapshots in half.
    let cut = 0;
    const proxy = http.createServer((req, res) => {
      forward(req, res).catch(() => res.destroy());
    });
    const forward = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
      const upstream = await fetch(`${primary.url}${req.url}`, {
        headers: { ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
      });
      const headers = Object.fromEntries(upstream.headers);
      if (req.url === '/v1/snapshot' && cut < 2) {
        cut++;
        const body = Buffer.from(await upstream.arrayBuffer());
        res.writeHead(upstream.status, headers);
        res.write(body.subarray(0, body.length >> 1));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.writeHead(upstream.status, headers);
      for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
      res.end();
    };
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          proxy.close(() => resolve());
          proxy.closeAllConnections();
        }),
    );
    const { port } = proxy.address() as { port: number };
    const messages: string[] = [];
    const file = path.join(temp.dir, 'replica.db');
    const follower = ReplicaFollower.start({
      path: file,
      feed: new HttpPrimaryFeed({ syncUrl: `http://127.0.0.1:${port}` }),
      minBackoffMs: 10,
      log: (m) => messages.push(m),
    });
    cleanups.push(() => follower.close());
    await follower.ready();
    expect(cut).toBe(2);
    expect(messages.join('\n')).toMatch(/cannot follow .*(terminated|closed|ended after)/);
    expect(fs.existsSync(`${file}.snapshot-tmp`)).toBe(false);
    const db = await open(file, { readonly: true });
    cleanups.push(() => db.close());
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 't'").pluck().get()).toBe(1);
  });
});
