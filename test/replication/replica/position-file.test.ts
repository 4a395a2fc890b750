import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Position } from '../../../replication/log/index.ts';
import { PositionFile, Replica } from '../../../replication/replica/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { captureUpdates } from './updates.ts';

const p = (txid: number): Position => new Position(BigInt(txid), BigInt(txid) * 0x1234_5678_9abcn);

/** A version-1 position file (44 bytes) as earlier releases wrote it. */
function versionOne(from: Position, to: Position): Buffer {
  const bytes = Buffer.alloc(44);
  bytes.writeUInt32BE(0x574c5250, 0);
  bytes.writeUInt32BE(1, 4);
  bytes.set(from.encode(), 8);
  bytes.set(to.encode(), 24);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 40)), 40);
  return bytes;
}

describe('PositionFile', () => {
  const temp = useTempDir();

  it('reads back the last pair written in place, slot after slot', () => {
    const file = temp.file('db-position');
    PositionFile.write(file, { from: p(1), to: p(1) }, true);
    expect(PositionFile.read(file)).toEqual({ from: p(1), to: p(1) });
    const size = fs.statSync(file).size;
    const writer = PositionFile.open(file, true);
    try {
      for (let txid = 2; txid < 7; txid++) {
        writer.write({ from: p(txid - 1), to: p(txid) });
        expect(PositionFile.read(file)).toEqual({ from: p(txid - 1), to: p(txid) });
      }
    } finally {
      writer.close();
    }
    expect(fs.statSync(file).size).toBe(size);
    // A writer opened later continues after the newest slot.
    const again = PositionFile.open(file, false);
    again.write({ from: p(6), to: p(7) });
    again.close();
    expect(PositionFile.read(file)).toEqual({ from: p(6), to: p(7) });
  });

  it('falls back to the other slot when the newest is torn', () => {
    const file = temp.file('db-position');
    PositionFile.write(file, { from: p(1), to: p(1) }, false);
    const writer = PositionFile.open(file, false);
    writer.write({ from: p(1), to: p(2) });
    writer.write({ from: p(2), to: p(3) });
    writer.close();
    const bytes = fs.readFileSync(file);
    // The newest write went to one slot; tear it (half of it zeros) and the previous pair is read.
    const newest = bytes.readBigUInt64BE(8) > bytes.readBigUInt64BE(4096 + 8) ? 0 : 4096;
    bytes.fill(0, newest + 20, newest + 52);
    fs.writeFileSync(file, bytes);
    expect(PositionFile.read(file)).toEqual({ from: p(1), to: p(2) });
    // The next write goes over the torn slot, keeping the good one.
    const writer2 = PositionFile.open(file, false);
    writer2.write({ from: p(2), to: p(3) });
    writer2.close();
    expect(PositionFile.read(file)).toEqual({ from: p(2), to: p(3) });
    const after = fs.readFileSync(file);
    expect(after.subarray(4096 - newest, 4096 - newest + 52)).toEqual(
      bytes.subarray(4096 - newest, 4096 - newest + 52),
    );
  });

  it('reads the version-1 files of earlier releases, and refuses anything else', () => {
    const file = temp.file('db-position');
    fs.writeFileSync(file, versionOne(p(4), p(5)));
    expect(PositionFile.read(file)).toEqual({ from: p(4), to: p(5) });
    expect(() => PositionFile.open(file, false)).toThrow(TypeError);
    const damaged = versionOne(p(4), p(5));
    damaged[30]! ^= 1;
    fs.writeFileSync(file, damaged);
    expect(() => PositionFile.read(file)).toThrow(TypeError);
    fs.writeFileSync(file, Buffer.alloc(4096 + 52));
    expect(() => PositionFile.read(file)).toThrow(TypeError);
    fs.writeFileSync(file, 'not a position file');
    expect(() => PositionFile.read(file)).toThrow(TypeError);
    expect(PositionFile.read(temp.file('missing'))).toBeUndefined();
  });

  it('lets a replica with a version-1 position file reopen where it was, and upgrades the file', async () => {
    const primary = await captureUpdates(fs.realpathSync(temp.dir), 6);
    const half = primary.records.slice(0, 3);
    const replica = await Replica.open(primary.replicaPath, { from: primary.start, sync: false });
    for (const record of half) replica.apply(record);
    replica.close();
    const at = new Position(half.at(-1)!.txid, half.at(-1)!.postChecksum);
    // As an earlier release left it after a crash mid-apply of the next record.
    const next = primary.records[3]!;
    fs.writeFileSync(`${primary.replicaPath}-position`, versionOne(at, new Position(next.txid, next.postChecksum)));

    const again = await Replica.open(primary.replicaPath);
    try {
      expect(again.position).toEqual(at);
      expect(fs.statSync(`${primary.replicaPath}-position`).size).toBe(4096 + 52);
      for (const record of primary.records.slice(3)) again.apply(record);
      expect(PositionFile.read(`${primary.replicaPath}-position`)!.to).toEqual(again.position);
    } finally {
      again.close();
    }
    expect(Buffer.compare(fs.readFileSync(primary.replicaPath), fs.readFileSync(primary.primaryPath))).toBe(0);
  });
});
