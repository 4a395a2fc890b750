import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LogCorruptionError,
  TransactionLog,
  TxRecord,
  type TxRecord as Record,
} from '../../../replication/log/index.ts';
import { pageData, recordChain } from './records.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const temp = useTempDir();
const FRAME_HEADER = 28;
const SEGMENT_HEADER = 48;

/** Appends `records` to a fresh log in the temp dir and closes it; returns the last segment's path. */
function write(records: readonly Record[], segmentSize?: number): string {
  const log = TransactionLog.open(temp.dir, { segmentSize });
  for (const record of records) log.append(record);
  log.close();
  const names = fs
    .readdirSync(temp.dir)
    .filter((name) => name.endsWith('.wlog'))
    .sort();
  return path.join(temp.dir, names.at(-1)!);
}

/** Opens the log, checks it ends at `lastTxid` with every record readable, and closes it. */
function expectLogEndsAt(records: readonly Record[], lastTxid: bigint, segmentSize?: number): TransactionLog {
  const log = TransactionLog.open(temp.dir, { segmentSize });
  const last = records[Number(lastTxid) - 1]!;
  expect(log.lastPosition()?.txid).toBe(lastTxid);
  expect(log.lastPosition()?.checksum).toBe(last.postChecksum);
  expect([...log.readFrom(1n)].map((r) => r.txid)).toEqual(records.slice(0, Number(lastTxid)).map((r) => r.txid));
  return log;
}

describe('a torn tail', () => {
  it('cut at every byte inside the last frame is discarded, and appending goes on', () => {
    const records = recordChain(5);
    const file = write(records);
    const original = fs.readFileSync(file);
    const frameStart = original.length - FRAME_HEADER - TxRecord.encode(records[4]!).length;
    for (let cut = frameStart + 1; cut < original.length; cut++) {
      fs.writeFileSync(file, original.subarray(0, cut));
      const log = expectLogEndsAt(records, 4n);
      expect(log.recovery).toMatchObject({
        path: file,
        offset: frameStart,
        discardedBytes: cut - frameStart,
        segmentDeleted: false,
      });
      expect(fs.statSync(file).size).toBe(frameStart);
      log.append(records[4]!);
      log.close();
      // The append rewrote exactly the bytes that were cut.
      expect(fs.readFileSync(file).equals(original)).toBe(true);
    }
  });

  it('at a frame boundary is no tail at all', () => {
    const records = recordChain(5);
    const file = write(records);
    const original = fs.readFileSync(file);
    fs.writeFileSync(file, original.subarray(0, original.length - FRAME_HEADER - TxRecord.encode(records[4]!).length));
    const log = expectLogEndsAt(records, 4n);
    expect(log.recovery).toBeUndefined();
    log.close();
  });

  it('in the first frame of a segment removes the segment', () => {
    const records = recordChain(4, { pagesPer: 2 });
    const file = write(records, 1); // one record per segment
    const original = fs.readFileSync(file);
    expect(path.basename(file)).toBe('0000000000000004.wlog');
    for (let cut = SEGMENT_HEADER + 1; cut < original.length; cut += 37) {
      fs.writeFileSync(file, original.subarray(0, cut));
      const log = expectLogEndsAt(records, 3n, 1);
      expect(log.recovery).toMatchObject({ path: file, segmentDeleted: true });
      expect(fs.existsSync(file)).toBe(false);
      log.append(records[3]!);
      log.close();
      // The same bytes again, but for the segment's creation time.
      expect(fs.readFileSync(file).subarray(SEGMENT_HEADER).equals(original.subarray(SEGMENT_HEADER))).toBe(true);
    }
  });

  it('of the only record empties the log', () => {
    const records = recordChain(1);
    const file = write(records);
    const original = fs.readFileSync(file);
    fs.writeFileSync(file, original.subarray(0, original.length - 1));
    const log = TransactionLog.open(temp.dir);
    expect(log.lastPosition()).toBeUndefined();
    expect(log.firstTxid()).toBeUndefined();
    log.append(records[0]!);
    log.close();
    expect(fs.readFileSync(file).subarray(SEGMENT_HEADER).equals(original.subarray(SEGMENT_HEADER))).toBe(true);
  });

  it('whose length reached the disk but whose bytes did not (zeros) is discarded', () => {
    const records = recordChain(5, { pagesPer: 3 });
    const file = write(records);
    const original = fs.readFileSync(file);
    const frameStart = original.length - FRAME_HEADER - TxRecord.encode(records[4]!).length;
    // A power failure can leave any block of the last append unwritten: zero one 512-byte block at a time.
    for (let hole = frameStart - (frameStart % 512); hole < original.length; hole += 512) {
      const damaged = Buffer.from(original);
      damaged.fill(0, Math.max(hole, frameStart), Math.min(hole + 512, original.length));
      fs.writeFileSync(file, damaged);
      const log = expectLogEndsAt(records, 4n);
      expect(log.recovery?.offset).toBe(frameStart);
      log.close();
    }
  });
});

describe('garbage after the last frame', () => {
  const garbage: Array<[string, (last: Buffer) => Uint8Array]> = [
    ['one byte', () => new Uint8Array([7])],
    ['zeros', () => new Uint8Array(5000)],
    ['random bytes', () => pageData(4096, 77)],
    ['a frame header alone', (last) => last.subarray(0, FRAME_HEADER)],
    ['a copy of an earlier frame', (last) => last],
    ['the start of a frame', (last) => last.subarray(0, 100)],
  ];

  it.each(garbage)('(%s) is truncated away', (_name, make) => {
    const records = recordChain(5);
    const file = write(records);
    const original = fs.readFileSync(file);
    const lastFrame = original.subarray(original.length - FRAME_HEADER - TxRecord.encode(records[4]!).length);
    fs.appendFileSync(file, make(Buffer.from(lastFrame)));
    const log = expectLogEndsAt(records, 5n);
    expect(log.recovery?.offset).toBe(original.length);
    log.close();
    expect(fs.readFileSync(file).equals(original)).toBe(true);
  });

  it('followed by a valid next record is corruption, not a torn tail', () => {
    const records = recordChain(6);
    const file = write(records.slice(0, 5));
    const next = TransactionLog.open(path.join(temp.dir, 'other'));
    for (const record of records) next.append(record);
    next.close();
    const other = fs.readFileSync(path.join(temp.dir, 'other', '0000000000000001.wlog'));
    const frame6 = other.subarray(other.length - FRAME_HEADER - TxRecord.encode(records[5]!).length);
    fs.appendFileSync(file, Buffer.concat([pageData(512, 5), frame6]));
    expect(() => TransactionLog.open(temp.dir)).toThrow(LogCorruptionError);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/yet the valid record of txid 6 follows/);
  });
});
