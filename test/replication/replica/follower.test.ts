import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { open } from '../../../core/index.ts';
import {
  HttpPrimaryFeed,
  ReplicaFollower,
  startPrimary,
  type Primary,
  type PrimaryFeed,
} from '../../../replication/index.ts';
import { databaseChecksum, type TxRecord } from '../../../replication/log/index.ts';
import { Replica } from '../../../replication/replica/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';

async function execute(primary: Primary, sql: string, args: unknown[] = []): Promise<void> {
  const response = await fetch(`${primary.url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql, args }),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

describe('a replica follower behind its primary', () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('is given where to follow as a feed: the old syncUrl option alone is a TypeError, not a silent no-op', () => {
    const replicaPath = path.join(temp.dir, 'replica.db');
    const options = { path: replicaPath, syncUrl: 'http://127.0.0.1:1' } as unknown as Parameters<
      typeof ReplicaFollower.start
    >[0];
    expect(() => ReplicaFollower.start(options)).toThrow(
      new TypeError('Expected the "feed" option to be a PrimaryFeed'),
    );
  });

  it('catches up several records a commit, and tells waiters of every position it passes', async () => {
    const primary = await startPrimary({ path: path.join(temp.dir, 'primary.db'), heartbeatMs: 100 });
    cleanups.push(() => primary.close());
    await execute(primary, 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const replicaPath = path.join(temp.dir, 'replica.db');
    const first = ReplicaFollower.start({
      path: replicaPath,
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      log: () => {},
    });
    await first.sync();
    await first.close();

    const positions = [];
    for (let i = 0; i < 200; i++) {
      await execute(primary, 'INSERT INTO t (v) VALUES (randomblob(?))', [100 + (i % 7) * 500]);
      positions.push(primary.position());
    }

    const sizes: number[] = [];
    const applyBatch = Object.getOwnPropertyDescriptor(Replica.prototype, 'applyBatch')!;
    Object.defineProperty(Replica.prototype, 'applyBatch', {
      ...applyBatch,
      value(this: Replica, records: readonly TxRecord[]) {
        sizes.push(records.length);
        return (applyBatch.value as Replica['applyBatch']).call(this, records);
      },
    });
    cleanups.push(() => Object.defineProperty(Replica.prototype, 'applyBatch', applyBatch));

    const follower = ReplicaFollower.start({
      path: replicaPath,
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      log: () => {},
    });
    cleanups.push(() => follower.close());
    await follower.ready();
    const waits = positions.map((position) => follower.waitFor(position, 10_000));
    const reached = await follower.sync();
    expect(reached).toEqual(primary.position());
    for (const [i, wait] of waits.entries()) expect((await wait).txid).toBeGreaterThanOrEqual(positions[i]!.txid);

    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(sizes.length).toBeLessThan(200);

    const reader = await open(replicaPath);
    try {
      expect(reader.prepare('SELECT count(*) FROM t').pluck().get()).toBe(200);
      const pages = reader.prepare('SELECT data FROM sqlite_dbpage').pluck().all() as Uint8Array[];
      expect(databaseChecksum(Buffer.concat(pages), { pageSize: 4096 })).toBe(primary.position().checksum);
    } finally {
      reader.close();
    }
  });

  it('follows whatever feed it is given, and asks the primary nothing except through it', async () => {
    const primary = await startPrimary({ path: path.join(temp.dir, 'primary.db'), heartbeatMs: 100 });
    cleanups.push(() => primary.close());
    await execute(primary, 'CREATE TABLE t (x)');
    const http = new HttpPrimaryFeed({ syncUrl: primary.url });
    const calls: string[] = [];
    // A plain object of functions: what a failover feed is, one that may change where it points.
    const feed: PrimaryFeed = {
      source: 'test-feed',
      snapshot: (signal) => (calls.push('snapshot'), http.snapshot(signal)),
      log: (from, signal) => (calls.push(`log ${from}`), http.log(from, signal)),
      report: (report, timeoutMs) => (calls.push('report'), http.report(report, timeoutMs)),
      status: (timeoutMs) => (calls.push('status'), http.status(timeoutMs)),
    };
    const messages: string[] = [];
    const follower = ReplicaFollower.start({
      path: path.join(temp.dir, 'replica.db'),
      feed,
      log: (m) => messages.push(m),
    });
    cleanups.push(() => follower.close());
    await execute(primary, 'INSERT INTO t VALUES (1)');
    expect(await follower.sync()).toEqual(primary.position());
    expect(calls[0]).toBe('snapshot');
    expect(calls).toContain('status');
    await execute(primary, 'INSERT INTO t VALUES (2)');
    await follower.waitFor(primary.position(), 5000);
    expect(calls.filter((call) => call.startsWith('log '))).not.toEqual([]);
    expect(messages.join('\n')).toMatch(/following test-feed from/);
    await follower.close();
    const reader = await open(path.join(temp.dir, 'replica.db'), { readonly: true });
    try {
      expect(reader.prepare('SELECT x FROM t').pluck().all()).toEqual([1, 2]);
    } finally {
      reader.close();
    }
  });
});
