import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogCorruptionError, TransactionLog } from '../../../replication/log/index.ts';
import { useTempDir } from '../../support/temp-dir.ts';
import { recordChain } from './records.ts';

const temp = useTempDir();
const SEGMENT_HEADER = 48;
const FRAME_HEADER = 28;

/** Ten records in segments of one record each; returns the segment file names, oldest first. */
function writeLog(): string[] {
  const log = TransactionLog.open(temp.dir, { segmentSize: 1 });
  for (const record of recordChain(10)) log.append(record);
  log.close();
  return fs
    .readdirSync(temp.dir)
    .filter((name) => name.endsWith('.wlog'))
    .sort();
}

/** Flips a bit in the record header (its `epoch`) of the one record of segment file `name`. */
function damageHeader(name: string): void {
  const file = path.join(temp.dir, name);
  const bytes = fs.readFileSync(file);
  bytes[SEGMENT_HEADER + FRAME_HEADER + 40]! ^= 0x01;
  fs.writeFileSync(file, bytes);
}

describe('TransactionLog setAsideDamage', () => {
  it('sets a damaged sealed segment and the older ones aside and opens from the next', () => {
    const names = writeLog();
    damageHeader(names[3]!);
    expect(() => TransactionLog.open(temp.dir)).toThrow(LogCorruptionError);

    const log = TransactionLog.open(temp.dir, { setAsideDamage: true });
    try {
      expect(log.firstTxid()).toBe(5n);
      expect(log.lastPosition()?.txid).toBe(10n);
      expect([...log.readFrom(5n)].map((r) => r.txid)).toEqual([5n, 6n, 7n, 8n, 9n, 10n]);
      expect(log.setAside).toMatchObject({ firstTxid: 1n, lastTxid: 4n });
      expect(log.setAside!.error.message).toMatch(/header checksum mismatch/);
      expect(log.setAside!.paths.map((p) => path.basename(p))).toEqual(names.slice(0, 4).map((n) => `${n}.damaged`));
    } finally {
      log.close();
    }
    // Set aside once: the next open sees a sound log from txid 5.
    const again = TransactionLog.open(temp.dir);
    expect(again.setAside).toBeUndefined();
    expect(again.firstTxid()).toBe(5n);
    again.close();
  });

  it('sets aside only the segments before a gap, and keeps the one after it', () => {
    const names = writeLog();
    fs.rmSync(path.join(temp.dir, names[6]!));
    const log = TransactionLog.open(temp.dir, { setAsideDamage: true });
    try {
      expect(log.firstTxid()).toBe(8n);
      expect(log.setAside).toMatchObject({ firstTxid: 1n, lastTxid: 7n });
      expect(log.setAside!.paths).toHaveLength(6);
    } finally {
      log.close();
    }
  });

  it('still refuses damage in the last segment, and renames nothing then', () => {
    const names = writeLog();
    damageHeader(names[2]!);
    // The last segment starts with a frame of the wrong txid: neither torn nor set aside.
    fs.copyFileSync(path.join(temp.dir, names[8]!), path.join(temp.dir, names[9]!));
    expect(() => TransactionLog.open(temp.dir, { setAsideDamage: true })).toThrow(LogCorruptionError);
    expect(fs.readdirSync(temp.dir).filter((n) => n.endsWith('.damaged'))).toEqual([]);
  });
});
