import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  LogCompactedError,
  LogCorruptionError,
  LogIoError,
  Position,
  PositionMismatchError,
  TransactionLog,
  TxRecord,
} from '../../../replication/log/index.ts';
import { DB_ID, PageStore, pageData, recordChain } from './records.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const temp = useTempDir();

function open(options?: Parameters<typeof TransactionLog.open>[1]): TransactionLog {
  return temp.track(TransactionLog.open(temp.dir, options));
}

function segments(): string[] {
  return fs
    .readdirSync(temp.dir)
    .filter((name) => name.endsWith('.wlog'))
    .sort();
}

function txids(log: TransactionLog, from: bigint): bigint[] {
  return [...log.readFrom(from)].map((record) => record.txid);
}

describe('TransactionLog', () => {
  it('starts empty', () => {
    const log = open();
    expect(log.lastPosition()).toBeUndefined();
    expect(log.firstTxid()).toBeUndefined();
    expect(log.dbId).toBeUndefined();
    expect(log.recovery).toBeUndefined();
    expect(txids(log, 1n)).toEqual([]);
    expect(segments()).toEqual([]);
  });

  it('appends records, reads them back and reports the last position', () => {
    const records = recordChain(20, { pagesPer: 3 });
    const log = open();
    for (const record of records) {
      expect(log.append(record).equals(new Position(record.txid, record.postChecksum))).toBe(true);
    }
    expect(String(log.lastPosition())).toBe(String(new Position(20n, records[19]!.postChecksum)));
    expect(log.firstTxid()).toBe(1n);
    expect(log.dbId).toBe(DB_ID);
    const read = [...log.readFrom(1n)];
    expect(read.map((r) => r.txid)).toEqual(records.map((r) => r.txid));
    read.forEach((record, i) =>
      expect(Buffer.from(TxRecord.encode(record)).equals(TxRecord.encode(records[i]!))).toBe(true),
    );
    expect(txids(log, 15n)).toEqual([15n, 16n, 17n, 18n, 19n, 20n]);
    expect(txids(log, 21n)).toEqual([]);
    expect(txids(log, 1000n)).toEqual([]);
    const encoded = [...log.readEncodedFrom(19n)];
    expect(
      encoded.map((bytes) =>
        Buffer.from(bytes).equals(TxRecord.encode(records[Number(TxRecord.decode(bytes).txid) - 1]!)),
      ),
    ).toEqual([true, true]);
  });

  it('rolls over to a new segment at the size limit and reads across segments and reopen', () => {
    const records = recordChain(40, { pagesPer: 2 }); // ~1.2 KiB each
    let log = open({ segmentSize: 4096 });
    for (const record of records.slice(0, 25)) log.append(record);
    const files = segments();
    expect(files.length).toBeGreaterThan(5);
    expect(files[0]).toBe('0000000000000001.wlog');
    expect(files.every((name) => /^[0-9a-f]{16}\.wlog$/.test(name))).toBe(true);
    for (const name of files.slice(0, -1))
      expect(fs.statSync(path.join(temp.dir, name)).size).toBeGreaterThanOrEqual(4096);
    log.close();

    log = open({ segmentSize: 4096 });
    expect(log.recovery).toBeUndefined();
    expect(log.lastPosition()?.txid).toBe(25n);
    for (const record of records.slice(25)) log.append(record);
    expect(txids(log, 1n)).toEqual(records.map((r) => r.txid));
    for (const name of segments()) {
      const first = BigInt(`0x${name.slice(0, 16)}`);
      expect(txids(log, first)[0]).toBe(first);
    }
    log.close();

    log = open();
    expect(log.lastPosition()?.equals(new Position(40n, records[39]!.postChecksum))).toBe(true);
    expect(txids(log, 1n).length).toBe(40);
  });

  it('gives a reader the records appended while it iterates', () => {
    const records = recordChain(6);
    const log = open({ segmentSize: 1500 });
    log.append(records[0]!);
    const reader = log.readFrom(1n);
    expect(reader.next().value?.txid).toBe(1n);
    log.append(records[1]!);
    log.append(records[2]!);
    expect(reader.next().value?.txid).toBe(2n);
    expect(reader.next().value?.txid).toBe(3n);
    expect(reader.next().done).toBe(true);
    const tail = log.readFrom(4n);
    for (const record of records.slice(3)) log.append(record);
    expect([...tail].map((r) => r.txid)).toEqual([4n, 5n, 6n]);
  });

  it('refuses a record that does not continue the log, and writes nothing', () => {
    const records = recordChain(3);
    const log = open();
    log.append(records[0]!);
    log.append(records[1]!);
    const size = fs.statSync(path.join(temp.dir, segments()[0]!)).size;
    for (const record of [
      records[1]!,
      records[0]!,
      { ...records[2]!, txid: 4n },
      { ...records[2]!, preChecksum: 1n },
    ]) {
      let thrown: unknown;
      try {
        log.append(record);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PositionMismatchError);
      expect((thrown as PositionMismatchError).have.equals(new Position(2n, records[1]!.postChecksum))).toBe(true);
      expect((thrown as PositionMismatchError).got.equals(new Position(record.txid - 1n, record.preChecksum))).toBe(
        true,
      );
    }
    expect(() => log.append({ ...records[2]!, dbId: 'ffffffffffffffffffffffffffffffff' })).toThrow(TypeError);
    expect(() => log.append({ ...records[2]!, pageSize: 100 })).toThrow(TypeError);
    expect(fs.statSync(path.join(temp.dir, segments()[0]!)).size).toBe(size);
    log.append(records[2]!);
    expect(log.lastPosition()?.txid).toBe(3n);
  });

  it('starts an empty log at any txid', () => {
    const records = recordChain(12);
    const log = open();
    log.append(records[9]!);
    log.append(records[10]!);
    expect(log.firstTxid()).toBe(10n);
    expect(segments()).toEqual(['000000000000000a.wlog']);
    expect(() => log.readFrom(9n)).toThrow(LogCompactedError);
    expect(txids(log, 10n)).toEqual([10n, 11n]);
  });

  it('appends encoded records after verifying them', () => {
    const records = recordChain(3);
    const log = open();
    log.appendEncoded(TxRecord.encode(records[0]!));
    const damaged = TxRecord.encode(records[1]!).slice();
    damaged[200] ^= 4;
    expect(() => log.appendEncoded(damaged)).toThrow(LogCorruptionError);
    log.appendEncoded(TxRecord.encode(records[1]!));
    expect(txids(log, 1n)).toEqual([1n, 2n]);
  });

  it('works without fsync', () => {
    const records = recordChain(10);
    const log = open({ fsync: false, segmentSize: 2000 });
    for (const record of records) log.append(record);
    log.close();
    expect(txids(open(), 1n).length).toBe(10);
  });

  it('checks its arguments', () => {
    expect(() => TransactionLog.open(temp.dir, { segmentSize: 0 })).toThrow(
      'Expected the "segmentSize" option to be a positive integer',
    );
    expect(() => TransactionLog.open(temp.dir, { fsync: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => TransactionLog.open('')).toThrow(TypeError);
    const log = open();
    expect(() => log.readFrom(0n)).toThrow(TypeError);
    expect(() => log.readFrom(1 as unknown as bigint)).toThrow(TypeError);
    expect(() => log.compact(1 as unknown as bigint)).toThrow(TypeError);
  });

  it('can be opened once at a time in a process, and again after close', () => {
    const log = open();
    log.append(recordChain(1)[0]!);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/already open/);
    expect(fs.readdirSync(temp.dir)).toContain('log-wasmlite-owner');
    log.close();
    log.close();
    expect(fs.readdirSync(temp.dir)).not.toContain('log-wasmlite-owner');
    expect(() => log.append(recordChain(2)[1]!)).toThrow('The transaction log is closed');
    expect(() => log.lastPosition()).toThrow(TypeError);
    expect(open().lastPosition()?.txid).toBe(1n);
  });

  it('stops an iterator when the log is closed', () => {
    const log = open();
    for (const record of recordChain(2)) log.append(record);
    const reader = log.readFrom(1n);
    reader.next();
    log.close();
    expect(() => reader.next()).toThrow('The transaction log is closed');
  });

  it('removes a segment whose creation never finished', () => {
    const records = recordChain(2);
    let log = open();
    log.append(records[0]!);
    log.close();
    fs.writeFileSync(path.join(temp.dir, '0000000000000002.wlog.tmp'), 'half a segment');
    fs.writeFileSync(path.join(temp.dir, 'notes.txt'), 'not the log’s');
    log = open();
    expect(fs.readdirSync(temp.dir).sort()).toEqual(['0000000000000001.wlog', 'log-wasmlite-owner', 'notes.txt']);
    log.append(records[1]!);
    expect(txids(log, 1n)).toEqual([1n, 2n]);
  });

  it('wraps file system errors with the Node error as cause', () => {
    const file = path.join(temp.dir, 'a-file');
    fs.writeFileSync(file, '');
    let thrown: unknown;
    try {
      TransactionLog.open(path.join(file, 'log'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LogIoError);
    expect((thrown as LogIoError).code).toBe('ENOTDIR');
    expect((thrown as LogIoError).cause).toMatchObject({ code: 'ENOTDIR' });
    expect((thrown as LogIoError).message).toMatch(/^cannot create .*a-file\/log: ENOTDIR/);
  });

  it('fails an append whose new segment cannot be created, and appends once it can', () => {
    const records = recordChain(3, { pagesPer: 4 });
    const sub = path.join(temp.dir, 'log');
    const log = temp.track(TransactionLog.open(sub, { segmentSize: 1 }));
    log.append(records[0]!);
    // A directory where the new segment's temporary file goes makes creating it fail.
    fs.mkdirSync(path.join(sub, '0000000000000002.wlog.tmp'));
    let thrown: unknown;
    try {
      log.append(records[1]!);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LogIoError);
    expect((thrown as LogIoError).code).toBe('EISDIR');
    expect(log.lastPosition()?.txid).toBe(1n);
    fs.rmdirSync(path.join(sub, '0000000000000002.wlog.tmp'));
    log.append(records[1]!);
    log.append(records[2]!);
    expect(txids(log, 1n)).toEqual([1n, 2n, 3n]);
  });
});

describe('TransactionLog.compact', () => {
  function filled(count: number): { log: TransactionLog; firsts: bigint[] } {
    const log = open({ segmentSize: 2000 });
    for (const record of recordChain(count, { pagesPer: 1 })) log.append(record);
    return { log, firsts: segments().map((name) => BigInt(`0x${name.slice(0, 16)}`)) };
  }

  it('deletes only segments entirely below the txid', () => {
    const { log, firsts } = filled(30);
    expect(firsts.length).toBeGreaterThan(4);
    const keep = firsts[2]! + 1n; // inside the third segment
    expect(log.compact(keep)).toBe(2);
    expect(log.firstTxid()).toBe(firsts[2]);
    expect(txids(log, keep)[0]).toBe(keep);
    expect(txids(log, firsts[2]!).at(-1)).toBe(30n);
    expect(() => log.readFrom(firsts[2]! - 1n)).toThrow(LogCompactedError);
    expect(log.compact(keep)).toBe(0);
  });

  it('keeps a segment that starts exactly at the txid', () => {
    const { log, firsts } = filled(30);
    expect(log.compact(firsts[3]!)).toBe(3);
    expect(log.firstTxid()).toBe(firsts[3]);
  });

  it('never deletes the segment with the last record', () => {
    const { log, firsts } = filled(30);
    log.compact(1000n);
    expect(segments().length).toBe(1);
    expect(log.firstTxid()).toBe(firsts.at(-1));
    expect(log.lastPosition()?.txid).toBe(30n);
    log.close();
    const again = open();
    expect(again.lastPosition()?.txid).toBe(30n);
    expect(again.firstTxid()).toBe(firsts.at(-1));
  });

  it('tells a reader overtaken by compaction, with the first txid left', () => {
    const { log, firsts } = filled(30);
    const reader = log.readFrom(1n);
    reader.next();
    log.compact(firsts[2]!);
    let thrown: unknown;
    try {
      reader.next();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LogCompactedError);
    expect((thrown as LogCompactedError).txid).toBe(2n);
    expect((thrown as LogCompactedError).firstTxid).toBe(firsts[2]);
    expect((thrown as LogCompactedError).message).toBe(
      `txid 2 is no longer in the log (it starts at txid ${firsts[2]})`,
    );
  });

  it('reopens a compacted log', () => {
    const { log, firsts } = filled(30);
    log.compact(firsts[1]!);
    log.close();
    const again = open();
    expect(again.firstTxid()).toBe(firsts[1]);
    expect(txids(again, firsts[1]!).length).toBe(Number(30n - firsts[1]! + 1n));
  });
});

describe('TransactionLog corruption', () => {
  /** A closed log of 12 records in several segments; returns the segment paths. */
  function written(): string[] {
    const log = TransactionLog.open(temp.dir, { segmentSize: 3000 });
    for (const record of recordChain(12, { pagesPer: 1 })) log.append(record);
    log.close();
    return segments().map((name) => path.join(temp.dir, name));
  }

  function flip(file: string, offset: number): void {
    const bytes = fs.readFileSync(file);
    bytes[offset]! ^= 0x10;
    fs.writeFileSync(file, bytes);
  }

  it('raises on a damaged record in the middle when it is read, never skipping it', () => {
    const files = written();
    flip(files[0]!, 48 + 28 + 300); // page data of txid 1
    const log = open();
    let thrown: unknown;
    const seen: bigint[] = [];
    try {
      for (const record of log.readFrom(1n)) seen.push(record.txid);
    } catch (error) {
      thrown = error;
    }
    expect(seen).toEqual([]);
    expect(thrown).toBeInstanceOf(LogCorruptionError);
    expect((thrown as LogCorruptionError).path).toBe(files[0]);
    expect((thrown as LogCorruptionError).field).toBe('checksum');
    expect(txids(log, 2n)[0]).toBe(2n);
  });

  it('refuses to open a log with a damaged frame header in a sealed segment', () => {
    const files = written();
    flip(files[0]!, 48 + 10);
    expect(() => TransactionLog.open(temp.dir)).toThrow(LogCorruptionError);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/bad frame header/);
  });

  it('refuses to open a log with a damaged record header in a sealed segment', () => {
    const files = written();
    flip(files[0]!, 48 + 28 + 40);
    expect(() => TransactionLog.open(temp.dir)).toThrow(
      expect.objectContaining({ field: 'headerChecksum', path: files[0] }),
    );
  });

  it('refuses to open a log with a damaged frame followed by valid ones in the last segment', () => {
    const files = written();
    const last = files.at(-1)!;
    expect(fs.statSync(last).size).toBeGreaterThanOrEqual(48 + 2 * 644); // at least two frames
    flip(last, 48 + 4);
    let thrown: unknown;
    try {
      TransactionLog.open(temp.dir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LogCorruptionError);
    expect((thrown as LogCorruptionError).message).toMatch(/yet the valid record of txid \d+ follows/);
  });

  it('refuses to open a log with a missing segment or a damaged segment header', () => {
    const files = written();
    const moved = `${files[1]!}.bak`;
    fs.renameSync(files[1]!, moved);
    expect(() => TransactionLog.open(temp.dir)).toThrow(expect.objectContaining({ field: 'firstTxid' }));
    fs.renameSync(moved, files[1]!);
    flip(files[1]!, 30);
    expect(() => TransactionLog.open(temp.dir)).toThrow(expect.objectContaining({ field: 'checksum', offset: 44 }));
  });

  it('refuses to open a log whose records do not chain', () => {
    const store = new PageStore(512);
    const a = store.commit([[1, pageData(512, 1)]]);
    const log = open();
    log.append(a);
    log.close();
    // A second log's record 2, with another history: same txid, another pre checksum.
    const other = new PageStore(512);
    other.commit([[1, pageData(512, 9)]]);
    const b = other.commit([[1, pageData(512, 10)]]);
    const file = path.join(temp.dir, segments()[0]!);
    const bytes = TxRecord.encode(b);
    const frame = fs.readFileSync(file).subarray(48, 48 + 28);
    const header = Buffer.from(frame);
    header.writeBigUInt64BE(2n, 8);
    header.writeUInt32BE(crc32(header.subarray(0, 24)), 24);
    fs.appendFileSync(file, Buffer.concat([header, bytes]));
    fs.appendFileSync(file, Buffer.concat([header, bytes])); // twice, so it is not a torn tail
    expect(() => TransactionLog.open(temp.dir)).toThrow(expect.objectContaining({ field: 'preChecksum' }));
  });
});
