import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { databaseChecksum, Position, TransactionLog } from '../../../replication/log/index.ts';
import { ReplicaFile } from '../capture/replica-file.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call, LogReader } from './http.ts';

describe('startPrimary', () => {
  const temp = useTempDir();
  let primary: Primary | undefined;
  const readers: LogReader[] = [];
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await primary?.close();
    primary = undefined;
  });

  async function start(extra: Partial<Parameters<typeof startPrimary>[0]> = {}): Promise<Primary> {
    primary = await startPrimary({ path: path.join(temp.dir, 'app.db'), ...extra });
    return primary;
  }

  const txid = (position: string): bigint => Position.parse(position).txid;

  it('keeps INTEGER and REAL apart on the wire, and takes floats JSON cannot write as arguments', async () => {
    const { url } = await start();
    const read = await call(url, '/v1/execute', {
      sql: 'SELECT 2 AS i, 2.0 AS r, 2.5 AS f, ? AS inf, ? AS minus_zero, 9007199254740993 AS big',
      args: [{ $real: 'Infinity' }, { $real: '-0' }],
    });
    expect(read.status).toBe(200);
    // A number binds as a REAL, as it does in a local statement: -0 stays the REAL -0.
    expect(read.body.rows).toEqual([
      [2, { $real: '2' }, 2.5, { $real: 'Infinity' }, { $real: '-0' }, { $bigint: '9007199254740993' }],
    ]);
    const refused = await call(url, '/v1/execute', { sql: 'SELECT ?', args: [{ $real: 'lots' }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/\$real/);
  });

  it('refuses a non-loopback host without a token', async () => {
    await expect(startPrimary({ path: path.join(temp.dir, 'x.db'), host: '0.0.0.0' })).rejects.toThrow(TypeError);
  });

  it('runs statements with positions that move by one per write and not for reads', async () => {
    const { url } = await start();
    const created = await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v, b BLOB)' });
    expect(created.status).toBe(200);
    expect(txid(created.body.position)).toBe(1n);
    const inserted = await call(url, '/v1/execute', {
      sql: 'INSERT INTO t (v, b) VALUES (?, ?)',
      args: [{ $bigint: '9007199254740993' }, { $blob: Buffer.from([1, 2, 3]).toString('base64') }],
    });
    expect(inserted.body).toMatchObject({ rowsAffected: 1, lastInsertRowid: '1' });
    expect(txid(inserted.body.position)).toBe(2n);
    const named = await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (:v)', args: { v: 'x' } });
    expect(txid(named.body.position)).toBe(3n);
    const read = await call(url, '/v1/execute', { sql: 'SELECT id, v, b FROM t ORDER BY id' });
    expect(read.body).toMatchObject({
      columns: ['id', 'v', 'b'],
      columnTypes: ['INTEGER', '', 'BLOB'],
      rows: [
        [1, { $bigint: '9007199254740993' }, { $blob: 'AQID' }],
        [2, 'x', null],
      ],
      rowsAffected: 0,
      lastInsertRowid: null,
    });
    expect(read.body.position).toBe(named.body.position);
    expect(primary!.position().toString()).toBe(named.body.position);

    const batch = await call(url, '/v1/batch', {
      statements: [
        { sql: 'INSERT INTO t (v) VALUES (1)' },
        { sql: 'INSERT INTO t (v) VALUES (2)' },
        { sql: 'SELECT count(*) FROM t' },
      ],
      mode: 'write',
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results[2].rows).toEqual([[4]]);
    expect(txid(batch.body.position)).toBe(4n);
  });

  it('rolls a batch that fails midway back entirely and keeps the position', async () => {
    const { url } = await start();
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY)' });
    const before = (await call(url, '/health')).body.position;
    const failed = await call(url, '/v1/batch', {
      statements: [{ sql: 'INSERT INTO t VALUES (1)' }, { sql: 'INSERT INTO t VALUES (1)' }],
    });
    expect(failed.status).toBe(400);
    expect(failed.body.error.code).toBe('SQLITE_CONSTRAINT_PRIMARYKEY');
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[0]]);
    expect((await call(url, '/health')).body.position).toBe(before);
  });

  it('streams every record live, and the records rebuild the snapshot into the final database', async () => {
    const { url } = await start({ heartbeatMs: 50 });
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    const snapshot = await fetch(`${url}/v1/snapshot`);
    const snapshotPosition = Position.parse(snapshot.headers.get('x-wasmlite-position')!);
    const snapshotFile = path.join(temp.dir, 'snapshot.db');
    fs.writeFileSync(snapshotFile, Buffer.from(await snapshot.arrayBuffer()));
    expect(databaseChecksum(snapshotFile)).toBe(snapshotPosition.checksum);

    const reader = await LogReader.open(url, snapshotPosition.txid + 1n);
    readers.push(reader);
    await reader.until(() => reader.heartbeats > 0);
    for (let i = 0; i < 20; i++) {
      await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (?)', args: ['x'.repeat(i * 300)] });
      await reader.until(() => reader.records.length === i + 1); // live: pushed before the next write
    }
    const final = primary!.position();
    const replica = new ReplicaFile(path.join(temp.dir, 'replica.db'), snapshotFile, 4096);
    let expected = snapshotPosition.txid + 1n;
    for (const record of reader.records) {
      expect(record.txid).toBe(expected++);
      replica.apply(record);
    }
    expect(replica.checksum).toBe(final.checksum);
    expect(reader.records.at(-1)!.postChecksum).toBe(final.checksum);

    const status = await call(url, '/status');
    expect(status.body).toMatchObject({
      position: final.toString(),
      log: { firstTxid: '1', lastTxid: String(final.txid) },
      streams: 1,
    });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('wasmlite_transactions_total 21');
    expect(metrics).toContain('wasmlite_log_stream_clients 1');
  });

  it('answers 410 with the first txid when the log no longer holds "from", 409 when "from" is ahead', async () => {
    const dbPath = path.join(temp.dir, 'app.db');
    const logDir = `${dbPath}-log`;
    const p = await startPrimary({ path: dbPath });
    await call(p.url, '/v1/execute', { sql: 'CREATE TABLE t (v)' });
    for (let i = 0; i < 3; i++) await call(p.url, '/v1/execute', { sql: 'INSERT INTO t VALUES (1)' });
    await p.close();
    // Rewrite the log one record a segment, then compact the first two away.
    const old = TransactionLog.open(logDir);
    const records = [...old.readFrom(1n)];
    old.close();
    const rebuilt = path.join(temp.dir, 'rebuilt-log');
    const log = TransactionLog.open(rebuilt, { segmentSize: 1 });
    for (const record of records) log.append(record);
    expect(log.compact(3n)).toBe(2);
    log.close();
    fs.copyFileSync(path.join(logDir, 'dbid'), path.join(rebuilt, 'dbid'));
    fs.rmSync(logDir, { recursive: true });

    const { url } = await start({ logDir: rebuilt });
    const gone = await call(url, '/v1/log?from=1');
    expect(gone.status).toBe(410);
    expect(gone.body.error).toMatchObject({ code: 'LOG_COMPACTED', firstTxid: '3' });
    expect((await call(url, '/v1/log?from=0')).status).toBe(400);
    expect((await call(url, '/v1/log?from=99')).status).toBe(409);
    const reader = await LogReader.open(url, 3n);
    readers.push(reader);
    await reader.until(() => reader.records.length === 2);
    expect(reader.records.map((r) => r.txid)).toEqual([3n, 4n]);
  });

  it('serves a snapshot consistent with its position under concurrent writes', async () => {
    const { url } = await start();
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)' });
    let writing = true;
    const writer = (async () => {
      while (writing) await call(url, '/v1/execute', { sql: 'INSERT INTO t (v) VALUES (randomblob(500))' });
    })();
    for (let i = 0; i < 5; i++) {
      const snapshot = await fetch(`${url}/v1/snapshot`);
      const position = Position.parse(snapshot.headers.get('x-wasmlite-position')!);
      expect(databaseChecksum(new Uint8Array(await snapshot.arrayBuffer()))).toBe(position.checksum);
    }
    writing = false;
    await writer;
  });

  it('checks tokens: 401 without or with a wrong one, 403 for a read token writing, 200 for reading', async () => {
    const { url } = await start({ tokens: { write: ['w-token'], read: ['r-token'] } });
    expect((await call(url, '/v1/execute', { sql: 'CREATE TABLE t (v)' }, 'w-token')).status).toBe(200);
    const missing = await call(url, '/v1/execute', { sql: 'SELECT 1' });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('UNAUTHORIZED');
    expect((await call(url, '/v1/execute', { sql: 'SELECT 1' }, 'nope')).status).toBe(401);
    expect((await call(url, '/v1/log?from=1', undefined, 'nope')).status).toBe(401);
    const writing = await call(url, '/v1/execute', { sql: 'INSERT INTO t VALUES (1)' }, 'r-token');
    expect(writing.status).toBe(403);
    expect(writing.body.error.code).toBe('READ_ONLY_TOKEN');
    expect(
      (await call(url, '/v1/batch', { statements: [{ sql: 'SELECT 1' }, { sql: 'DELETE FROM t' }] }, 'r-token')).status,
    ).toBe(403);
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' }, 'r-token')).status).toBe(200);
    expect((await call(url, '/health')).status).toBe(200);
  });

  it('answers bad requests with 4xx JSON errors and stays healthy', async () => {
    const { url } = await start({ maxBodyBytes: 1024 });
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (v)' });
    const cases: Array<[number, string | undefined, unknown, string?]> = [
      [413, 'BODY_TOO_LARGE', { sql: `SELECT '${'x'.repeat(2000)}'` }],
      [400, 'BAD_JSON', undefined, '{"sql": '],
      [400, 'BAD_REQUEST', { sql: 'SELECT 1', extra: 1 }],
      [400, 'BAD_REQUEST', { sql: 42 }],
      [400, 'BAD_REQUEST', { sql: 'SELECT ?', args: [{ nested: true }] }],
      [400, 'BAD_REQUEST', { sql: 'SELECT ?', args: 'x' }],
      [400, 'BAD_REQUEST', { sql: 'SELECT ?, ?', args: [1] }],
      [400, 'BAD_REQUEST', { sql: 'SELECT 1; SELECT 2' }],
      [400, 'SQLITE_ERROR', { sql: 'SELEC nonsense' }],
      [400, 'TRANSACTION_CONTROL', { sql: 'BEGIN' }],
      [403, 'FORBIDDEN_ACTION', { sql: `ATTACH '${path.join(temp.dir, 'other.db')}' AS other` }],
      [403, 'FORBIDDEN_ACTION', { sql: 'PRAGMA journal_mode = delete' }],
      [400, 'BAD_REQUEST', { statements: 'no' }],
      [404, 'NOT_FOUND', { sql: 'SELECT 1' }],
    ];
    for (const [status, code, body, raw] of cases) {
      const route =
        status === 404
          ? '/v1/nowhere'
          : (body as { statements?: unknown })?.statements !== undefined
            ? '/v1/batch'
            : '/v1/execute';
      const response = await call(url, route, body, undefined, raw);
      expect(response.status, JSON.stringify(body ?? raw)).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect((await call(url, '/health')).status).toBe(200);
    }
    expect((await call(url, '/v1/execute', { sql: 'INSERT INTO t VALUES (1)' })).status).toBe(200);
    expect(
      (await call(url, '/v1/batch', { statements: [{ sql: 'INSERT INTO t VALUES (2)' }, { sql: 'COMMIT' }] })).status,
    ).toBe(400);
    expect((await call(url, '/v1/execute', { sql: 'SELECT count(*) FROM t' })).body.rows).toEqual([[1]]);
  });
});
