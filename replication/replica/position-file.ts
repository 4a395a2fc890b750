import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { Position } from '../log/index.ts';

/** Layout (README.md, "Position file"): magic, version, from, to, CRC-32 of the bytes before it. */
const MAGIC = 0x574c5250; // 'WLRP'
const VERSION = 1;
const SIZE = 44;

/**
 * What a replica's position file says: the database is at `from` or at `to` (equal when no apply
 * was under way); the database's checksum decides which. Written before each apply's commit, so
 * that a crash at any moment leaves the file naming the database's position.
 *
 * @example
 * const { from, to } = PositionFile.read('/srv/replica.db-position')!;
 */
export interface PositionPair {
  readonly from: Position;
  readonly to: Position;
}

/**
 * Reading and writing the 44-byte position file beside a replica's database. Writes are atomic:
 * a temporary file, fsynced, renamed over the old one, then the directory fsynced (`sync`).
 *
 * @example
 * PositionFile.write(file, { from: pos, to: next }, true);
 */
export const PositionFile = {
  /** The pair in `file`, `undefined` if there is none; a TypeError if the file is not a position file. */
  read(file: string): PositionPair | undefined {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (bytes.length !== SIZE || bytes.readUInt32BE(0) !== MAGIC || bytes.readUInt32BE(4) !== VERSION || bytes.readUInt32BE(40) !== crc32(bytes.subarray(0, 40))) {
      throw new TypeError(`Expected ${file} to be a wasmlite replica position file`);
    }
    return { from: Position.decode(bytes.subarray(8, 24)), to: Position.decode(bytes.subarray(24, 40)) };
  },

  /** Replaces `file` with `pair`, atomically; durable before returning if `sync`. */
  write(file: string, pair: PositionPair, sync: boolean): void {
    const bytes = Buffer.alloc(SIZE);
    bytes.writeUInt32BE(MAGIC, 0);
    bytes.writeUInt32BE(VERSION, 4);
    bytes.set(pair.from.encode(), 8);
    bytes.set(pair.to.encode(), 24);
    bytes.writeUInt32BE(crc32(bytes.subarray(0, 40)), 40);
    const temp = `${file}.tmp`;
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, bytes, 0, SIZE, 0);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
    if (sync) {
      const dir = fs.openSync(path.dirname(file), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
  },
};
