import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPrimary, type Primary } from '../../../replication/index.ts';
import { TxRecord } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { call, LogReader } from './http.ts';

describe('startPrimary log retention', () => {
  const temp = useTempDir();
  let primary: Primary | undefined;
  const readers: LogReader[] = [];
  afterEach(async () => {
    for (const reader of readers.splice(0)) reader.close();
    await primary?.close();
    primary = undefined;
  });

  async function start(extra: Partial<Parameters<typeof startPrimary>[0]> = {}): Promise<Primary> {
    primary = await startPrimary({
      path: path.join(temp.dir, 'app.db'),
      logSegmentBytes: 4096,
      logRetainTxids: 20,
      ...extra,
    });
    return primary;
  }

  async function write(url: string, count: number, bytes = 300): Promise<void> {
    for (let i = 0; i < count; i++) {
      const { status } = await call(url, '/v1/execute', {
        sql: 'INSERT INTO t (v) VALUES (randomblob(?))',
        args: [bytes],
      });
      expect(status).toBe(200);
    }
  }

  it('refuses bad retention options', async () => {
    await expect(startPrimary({ path: path.join(temp.dir, 'x.db'), logRetainTxids: 0 })).rejects.toThrow(
      'Expected the "logRetainTxids" option to be a positive integer',
    );
    await expect(startPrimary({ path: path.join(temp.dir, 'x.db'), logSegmentBytes: -1 })).rejects.toThrow(
      'Expected the "logSegmentBytes" option to be a positive integer',
    );
  });

  it('compacts old segments as the log grows, keeping the latest logRetainTxids, and answers 410 below them', async () => {
    const { url } = await start();
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' });
    await write(url, 150);

    const status = await call(url, '/status');
    const first = BigInt(status.body.logFirstTxid);
    const last = BigInt(status.body.log.lastTxid);
    expect(last).toBe(151n);
    expect(status.body.log.firstTxid).toBe(status.body.logFirstTxid);
    expect(first).toBeGreaterThan(1n);
    expect(first).toBeLessThanOrEqual(last - 20n + 1n);
    // Whole segments of a few records each: never much more than the retained count.
    expect(last - first).toBeLessThan(60n);

    const gone = await call(url, '/v1/log?from=1');
    expect(gone.status).toBe(410);
    expect(gone.body.error).toMatchObject({ code: 'LOG_COMPACTED', firstTxid: first.toString() });

    const reader = await LogReader.open(url, last - 19n);
    readers.push(reader);
    expect(reader.status).toBe(200);
    await reader.until(() => reader.records.length === 20);
    expect(reader.records[0]!.txid).toBe(last - 19n);
  });

  it('keeps the records a connected log stream has yet to send, however far behind it reads', async () => {
    const { url } = await start();
    await call(url, '/v1/execute', { sql: 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)' });
    await write(url, 40);
    const from = BigInt((await call(url, '/status')).body.logFirstTxid);
    // Opened at the oldest record and not read while megabytes more are written: backpressure
    // stops it far behind the retained window.
    const response = await fetch(`${url}/v1/log?from=${from}`);
    expect(response.status).toBe(200);
    await write(url, 80, 256 * 1024);
    const last = BigInt((await call(url, '/status')).body.log.lastTxid);
    expect(BigInt((await call(url, '/status')).body.logFirstTxid)).toBeLessThan(last - 20n);

    const body = response.body!.getReader();
    let buffer = Buffer.alloc(0);
    const txids: bigint[] = [];
    while (txids.at(-1) !== last) {
      const { value, done } = await body.read();
      expect(done).toBe(false);
      buffer = Buffer.concat([buffer, value!]);
      while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
        const length = buffer.readUInt32BE(0);
        if (length > 0) txids.push(TxRecord.decode(new Uint8Array(buffer.subarray(4, 4 + length))).txid);
        buffer = buffer.subarray(4 + length);
      }
    }
    expect(txids).toEqual(Array.from({ length: Number(last - from) + 1 }, (_, i) => from + BigInt(i)));
    await body.cancel();
    // Once it is gone, the next append compacts what it held.
    await new Promise((r) => setTimeout(r, 50));
    await write(url, 1);
    expect(BigInt((await call(url, '/status')).body.logFirstTxid)).toBeGreaterThan(last - 20n);
  });
});
