import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, createClient } from '../../../core/index.ts';
import {
  HttpPrimaryFeed,
  HttpTransport,
  PositionFile,
  ReplicaFollower,
  startPrimary,
  type Primary,
} from '../../../replication/index.ts';
import { Position } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call } from './http.ts';

describe('replicas as the primary sees them: /status and quorum durability', () => {
  const temp = useTempDir();
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(extra: Partial<Parameters<typeof startPrimary>[0]> = {}): Promise<Primary> {
    const primary = await startPrimary({ path: path.join(temp.dir, 'primary.db'), heartbeatMs: 100, ...extra });
    cleanups.push(() => primary.close());
    return primary;
  }

  function follow(
    primary: Primary,
    name: string,
    extra: Partial<Parameters<typeof ReplicaFollower.start>[0]> = {},
  ): ReplicaFollower {
    const follower = ReplicaFollower.start({
      path: path.join(temp.dir, `${name}.db`),
      feed: new HttpPrimaryFeed({ syncUrl: primary.url }),
      name,
      log: () => {},
      ...extra,
    });
    cleanups.push(() => follower.close());
    return follower;
  }

  async function replicasOf(
    primary: Primary,
  ): Promise<Array<{ name: string; position: string; lagTxids: number; lagMs: number; durable: boolean }>> {
    const status = await call(primary.url, '/status');
    expect(status.status).toBe(200);
    return status.body.replicas;
  }

  async function until<T>(check: () => Promise<T | undefined>, ms = 5000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('lists each connected replica with its position and lag, and forgets one that stopped', async () => {
    const primary = await start();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (x)' });
    const a = follow(primary, 'a');
    const b = follow(primary, 'b');
    await Promise.all([a.sync(), b.sync()]);
    const level = await until(async () => {
      const list = await replicasOf(primary);
      return list.length === 2 && list.every((r) => r.position === primary.position().toString()) ? list : undefined;
    });
    expect(level.map((r) => r.name).sort()).toEqual(['a', 'b']);
    expect(level.every((r) => r.lagTxids === 0 && r.lagMs === 0 && r.durable)).toBe(true);

    await b.close();
    for (let i = 0; i < 3; i++) await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t VALUES (?)', args: [i] });
    await a.sync();
    // a reports the new position; b, stopped, is still listed three txids behind until it is forgotten.
    const behind = await until(async () => {
      const list = await replicasOf(primary);
      const stopped = list.find((r) => r.name === 'b');
      return list.find((r) => r.name === 'a')?.lagTxids === 0 && stopped?.lagTxids === 3 ? stopped : undefined;
    });
    expect(behind.lagMs).toBeGreaterThanOrEqual(0);
    await until(async () => ((await replicasOf(primary)).some((r) => r.name === 'b') ? undefined : true));

    const metrics = await (await fetch(`${primary.url}/metrics`)).text();
    expect(metrics).toMatch(/^wasmlite_replica_lag_transactions\{replica="a",id="[\w-]+"\} 0$/m);
    expect(metrics).toMatch(/^wasmlite_replica_reports_total\{status="200"\} \d+$/m);
  });

  it('in quorum mode acknowledges a write only once a replica has it durably', async () => {
    const primary = await start({ durability: 'quorum', quorumTimeoutMs: 5000 });
    const follower = follow(primary, 'r');
    await follower.ready();
    await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v)' });
    const positions = path.join(temp.dir, 'r.db-position');
    const client = createClient({ url: `file:${path.join(temp.dir, 'client.db')}`, syncUrl: primary.url });
    cleanups.push(() => client.close());
    for (let i = 0; i < 20; i++) {
      const answer = await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (?)', args: [i] });
      expect(answer.status).toBe(200);
      // Read at once, with nothing awaited in between: the replica's persisted position has it.
      expect(PositionFile.read(positions)!.to.txid).toBeGreaterThanOrEqual(Position.parse(answer.body.position).txid);
    }
    const tx = await client.transaction('write');
    await tx.execute({ sql: 'INSERT INTO t (v) VALUES (?)', args: ['in a transaction'] });
    await tx.commit();
    expect(PositionFile.read(positions)!.to.txid).toBe(primary.position().txid);
    await client.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', args: ['batch'] }], 'write');
    expect(PositionFile.read(positions)!.to.txid).toBe(primary.position().txid);
  });

  it('in quorum mode fails a write no durable replica confirms with QUORUM_TIMEOUT, and reads do not wait', async () => {
    const primary = await start({ durability: 'quorum', quorumTimeoutMs: 300 });
    const created = await call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (x)' });
    expect(created.status).toBe(503);
    expect(created.body.error.code).toBe('QUORUM_TIMEOUT');
    expect(created.body.error.message).toMatch(/committed on the primary .* not acknowledged/);
    // Committed here all the same: the error says so, and the table exists.
    expect(primary.position().txid).toBe(1n);
    expect((await call(primary.url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).status).toBe(200);

    // A replica that does not fsync its applies confirms nothing.
    const careless = follow(primary, 'careless', { sync: false });
    await careless.sync();
    // (A replica client would itself be a durable replica: the transport alone shows the error.)
    const error = await new HttpTransport({ syncUrl: primary.url })
      .execute({ sql: 'INSERT INTO t VALUES (1)', args: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('PRIMARY_ERROR');
    expect((error as Error).message).toMatch(/QUORUM_TIMEOUT/);

    const durable = follow(primary, 'durable');
    await durable.sync();
    expect((await call(primary.url, '/v1/execute', { sql: 'INSERT INTO t VALUES (2)' })).status).toBe(200);
  });

  it('in quorum mode never makes a read wait for a write that committed while the read queued', async () => {
    const primary = await start({ durability: 'quorum', quorumTimeoutMs: 400 });
    // An interactive transaction holds the writer; a read queues behind it; the commit moves the position.
    const { id } = (await call(primary.url, '/v1/transactions', { mode: 'write' })).body;
    await call(primary.url, `/v1/transactions/${id}/execute`, { sql: 'CREATE TABLE t (x)' });
    const read = call(primary.url, '/v1/execute', { sql: 'SELECT 1' });
    await new Promise((r) => setTimeout(r, 50));
    const commit = call(primary.url, `/v1/transactions/${id}/commit`, undefined, undefined, '');
    expect((await read).status).toBe(200);
    // The commit itself has no replica to confirm it.
    expect((await commit).body.error.code).toBe('QUORUM_TIMEOUT');
  });

  it('refuses malformed reports with 400 and a position of another history with 409', async () => {
    const primary = await start({ durability: 'quorum', quorumTimeoutMs: 300 });
    for (const body of [
      [],
      { replica: 'x' },
      { replica: 'bad id!', name: 'n', position: '0000000000000000/0000000000000000', durable: true },
      { replica: 'x', name: 'n', position: 'nope', durable: true },
      { replica: 'x', name: 'n', position: '0000000000000000/0000000000000000', durable: 'yes' },
      { replica: 'x', name: 'n', position: '0000000000000000/0000000000000000', durable: true, extra: 1 },
    ]) {
      const answer = await call(primary.url, '/v1/ack', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('BAD_REQUEST');
    }
    // A report of txid 1 with a checksum that is not the primary's does not confirm txid 1.
    const write = call(primary.url, '/v1/execute', { sql: 'CREATE TABLE t (x)' });
    await until(async () => (primary.position().txid === 1n ? true : undefined));
    const forged = new Position(1n, primary.position().checksum ^ 1n).toString();
    const answer = await call(primary.url, '/v1/ack', {
      replica: 'forger',
      name: 'f',
      position: forged,
      durable: true,
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('ACK_REFUSED');
    expect((await write).status).toBe(503);
    expect((await call(primary.url, '/health')).status).toBe(200);
  });
});
