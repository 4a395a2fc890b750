import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LogCorruptionError, TransactionLog, type TxRecord } from '../../../replication/log/index.ts';
import { recordChain } from './records.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const temp = useTempDir();
const FRAME_HEADER = 28;
const SEGMENT_HEADER = 48;
const GROUP_START = 1;
const GROUP_END = 2;

/** Writes `groups` (lists of records) to a fresh log, one `appendGroup` each; returns the segment's path. */
function writeGroups(groups: readonly (readonly TxRecord[])[]): string {
  const log = TransactionLog.open(temp.dir);
  for (const group of groups) log.appendGroup(group);
  log.close();
  return path.join(temp.dir, '0000000000000001.wlog');
}

/** Where each frame of a segment file starts, and its flags. */
function frames(file: Buffer): Array<{ start: number; end: number; flags: number }> {
  const found = [];
  for (let at = SEGMENT_HEADER; at < file.length;) {
    const end = at + FRAME_HEADER + Number(file.readBigUInt64BE(at + 16));
    found.push({ start: at, end, flags: file.readUInt32BE(at + 4) });
    at = end;
  }
  return found;
}

function expectLogEndsAt(records: readonly TxRecord[], lastTxid: bigint): TransactionLog {
  const log = TransactionLog.open(temp.dir);
  expect(log.lastPosition()?.txid).toBe(lastTxid === 0n ? undefined : lastTxid);
  expect([...log.readFrom(1n)].map((r) => r.txid)).toEqual(records.slice(0, Number(lastTxid)).map((r) => r.txid));
  return log;
}

describe('sync groups', () => {
  it('flag the first and last frame of each group, and a single append is a group of its own', () => {
    const records = recordChain(6);
    const log = TransactionLog.open(temp.dir);
    log.append(records[0]!);
    expect(log.appendGroup(records.slice(1, 4)).txid).toBe(4n);
    log.appendGroup(records.slice(4, 5));
    log.append(records[5]!);
    log.close();
    const file = fs.readFileSync(path.join(temp.dir, '0000000000000001.wlog'));
    expect(file.readUInt16BE(4)).toBe(2); // segment version 2
    expect(frames(file).map((f) => f.flags)).toEqual([
      GROUP_START | GROUP_END,
      GROUP_START,
      0,
      GROUP_END,
      GROUP_START | GROUP_END,
      GROUP_START | GROUP_END,
    ]);
    const again = expectLogEndsAt(records, 6n);
    again.close();
  });

  it('refuses a group whose records do not chain, and writes none of it', () => {
    const records = recordChain(4);
    const log = temp.track(TransactionLog.open(temp.dir));
    log.append(records[0]!);
    expect(() => log.appendGroup([records[1]!, records[3]!])).toThrow(/position mismatch/);
    expect(() => log.appendGroup([])).toThrow(TypeError);
    expect(log.lastPosition()?.txid).toBe(1n);
    expect(log.appendGroup([records[1]!, records[2]!]).txid).toBe(3n);
  });

  it('cut anywhere inside the last group (kill -9 during its write) loses the whole group only', () => {
    const records = recordChain(6, { pagesPer: 2 });
    const file = writeGroups([records.slice(0, 1), records.slice(1, 3), records.slice(3, 6)]);
    const original = fs.readFileSync(file);
    const groupStart = frames(original)[3]!.start;
    const boundaries = frames(original).map((f) => f.end);
    const cuts = new Set([...boundaries.filter((at) => at > groupStart && at < original.length)]);
    for (let cut = groupStart + 1; cut < original.length; cut += 97) cuts.add(cut);
    for (const cut of cuts) {
      fs.writeFileSync(file, original.subarray(0, cut));
      const log = expectLogEndsAt(records, 3n);
      expect(log.recovery).toMatchObject({ offset: groupStart, discardedBytes: cut - groupStart });
      log.appendGroup(records.slice(3, 6));
      log.close();
      expect(fs.readFileSync(file).equals(original)).toBe(true);
    }
  });

  it('with blocks of an earlier frame of the last group lost (zeros) and a later frame intact is a torn tail', () => {
    const records = recordChain(6, { pagesPer: 3 });
    const file = writeGroups([records.slice(0, 2), records.slice(2, 6)]);
    const original = fs.readFileSync(file);
    const all = frames(original);
    const groupStart = all[2]!.start;
    // Power loss after the group's writev, before its fdatasync: any of its blocks may read as zeros.
    for (const victim of [2, 3, 4]) {
      const { start, end } = all[victim]!;
      for (let hole = start - (start % 512); hole < end; hole += 512) {
        const damaged = Buffer.from(original);
        damaged.fill(0, Math.max(hole, start), Math.min(hole + 512, end));
        fs.writeFileSync(file, damaged);
        const log = expectLogEndsAt(records, 2n);
        expect(log.recovery?.offset).toBe(groupStart);
        log.close();
      }
    }
  });

  it('damage in a group that a later group follows is corruption, not a torn tail', () => {
    const records = recordChain(6, { pagesPer: 2 });
    const file = writeGroups([records.slice(0, 2), records.slice(2, 4), records.slice(4, 6)]);
    const original = fs.readFileSync(file);
    const all = frames(original);
    for (const victim of [0, 1, 2, 3]) {
      const damaged = Buffer.from(original);
      damaged.fill(0, all[victim]!.start, all[victim]!.start + FRAME_HEADER);
      fs.writeFileSync(file, damaged);
      expect(() => TransactionLog.open(temp.dir)).toThrow(LogCorruptionError);
      expect(() => TransactionLog.open(temp.dir)).toThrow(/starts a later sync group|ends a sync group with more/);
    }
    // Only the end of an earlier group survives: it ends before the end of the file, so a group followed it.
    const damaged = Buffer.from(original);
    damaged.fill(0, all[2]!.start, all[2]!.start + FRAME_HEADER);
    damaged.fill(0, all[4]!.start, all[4]!.start + FRAME_HEADER);
    fs.writeFileSync(file, damaged);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/record of txid 4 follows .* ends a sync group with more/);
  });

  it('a sealed segment may not end inside a group', () => {
    const records = recordChain(4);
    const log = TransactionLog.open(temp.dir, { segmentSize: 1 });
    log.appendGroup(records.slice(0, 2));
    log.appendGroup(records.slice(2, 4));
    log.close();
    const first = path.join(temp.dir, '0000000000000001.wlog');
    const file = fs.readFileSync(first);
    const last = frames(file)[1]!;
    file.writeUInt32BE(0, last.start + 4);
    file.writeUInt32BE(crc32(file.subarray(last.start, last.start + 24)), last.start + 24);
    fs.writeFileSync(first, file);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/sealed segment ends inside a sync group/);
  });
});

/** Rewrites a version 2 segment file as version 1: header version, frame flags 0, records version 1. */
function downgrade(file: Buffer): Buffer {
  const v1 = Buffer.from(file);
  v1.writeUInt16BE(1, 4);
  v1.writeUInt32BE(crc32(v1.subarray(0, 44)), 44);
  for (const { start, end } of frames(v1)) {
    v1.writeUInt32BE(0, start + 4);
    v1.writeUInt32BE(crc32(v1.subarray(start, start + 24)), start + 24);
    const record = start + FRAME_HEADER;
    v1.writeUInt16BE(1, record + 4);
    v1.writeUInt32BE(crc32(v1.subarray(record, record + 92)), record + 92);
    v1.writeUInt32BE(crc32(v1.subarray(record, end - 4)), end - 4);
  }
  return v1;
}

describe('a version 1 log', () => {
  it('opens, reads, and takes appends in a new version 2 segment', () => {
    const records = recordChain(5);
    const file = writeGroups(records.slice(0, 3).map((r) => [r]));
    fs.writeFileSync(file, downgrade(fs.readFileSync(file)));
    const log = expectLogEndsAt(records, 3n);
    log.append(records[3]!);
    log.append(records[4]!);
    log.close();
    const names = fs.readdirSync(temp.dir).filter((name) => name.endsWith('.wlog'));
    expect(names.sort()).toEqual(['0000000000000001.wlog', '0000000000000004.wlog']);
    expect(fs.readFileSync(path.join(temp.dir, names[1]!)).readUInt16BE(4)).toBe(2);
    expect(fs.readFileSync(file).readUInt16BE(4)).toBe(1);
    expectLogEndsAt(records, 5n).close();
  });

  it('keeps the version 1 torn-tail rules: a torn last frame is cut, damage before a valid frame is corruption', () => {
    const records = recordChain(4);
    const file = writeGroups(records.map((r) => [r]));
    const v1 = downgrade(fs.readFileSync(file));
    const all = frames(v1);
    fs.writeFileSync(file, v1.subarray(0, v1.length - 10));
    expectLogEndsAt(records, 3n).close();
    const damaged = Buffer.from(v1);
    damaged.fill(0, all[2]!.start, all[2]!.start + FRAME_HEADER);
    fs.writeFileSync(file, damaged);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/yet the valid record of txid 4 follows/);
  });
});

describe('epochs', () => {
  it('never decrease along a log: append refuses an older epoch', () => {
    const records = recordChain(3);
    const log = temp.track(TransactionLog.open(temp.dir));
    log.append({ ...records[0]!, epoch: 7n });
    expect(() => log.append({ ...records[1]!, epoch: 6n })).toThrow(/"epoch" to be at least 7/);
    expect(() =>
      log.appendGroup([
        { ...records[1]!, epoch: 8n },
        { ...records[2]!, epoch: 7n },
      ]),
    ).toThrow(TypeError);
    expect(log.lastPosition()?.txid).toBe(1n);
    log.append({ ...records[1]!, epoch: 7n });
    log.append({ ...records[2]!, epoch: 9n });
  });

  it('a log whose epochs decrease does not open, even in its last frame', () => {
    const records = recordChain(3).map((r) => ({ ...r, epoch: 5n }));
    const file = writeGroups(records.map((r) => [r]));
    const bytes = fs.readFileSync(file);
    const { start, end } = frames(bytes)[2]!;
    const record = start + FRAME_HEADER;
    bytes.writeBigUInt64BE(4n, record + 40);
    bytes.writeUInt32BE(crc32(bytes.subarray(record, record + 92)), record + 92);
    bytes.writeUInt32BE(crc32(bytes.subarray(record, end - 4)), end - 4);
    fs.writeFileSync(file, bytes);
    expect(() => TransactionLog.open(temp.dir)).toThrow(/epoch 4 after epoch 5: epochs never decrease/);
  });
});
