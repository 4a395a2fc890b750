import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeFileDurably } from '../../core/util/durable-file.ts';
import { Position } from '../log/index.ts';

/** Layout (README.md, "Position file"). Version 2: two slots, each with its own CRC-32. */
const MAGIC = 0x574c5250; // 'WLRP'
const VERSION_1 = 1;
const SIZE_1 = 44;
const VERSION = 2;
const SLOT_SIZE = 52;
/** Slot 1 starts a 4 KiB block away from slot 0, so that a torn write of one never reaches the other. */
const SLOT_OFFSETS = [0, 4096] as const;
const SIZE = SLOT_OFFSETS[1] + SLOT_SIZE;

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
 * A position file kept open for in-place writes ({@link PositionFile.open}): each `write` goes to
 * the slot that does not hold the newest pair, so the newest pair survives a write torn by a
 * crash or a power loss. No rename, no directory fsync.
 *
 * @example
 * const writer = PositionFile.open(file, true);
 * writer.write({ from: pos, to: next });
 * writer.close();
 */
export interface PositionWriter {
  /** Writes `pair` over the older slot; durable (fdatasync) before returning if opened with `sync`. */
  write(pair: PositionPair): void;
  /** Closes the file; closing twice does nothing. */
  close(): void;
}

interface Slot {
  readonly sequence: bigint;
  readonly pair: PositionPair;
}

function encodeSlot(sequence: bigint, pair: PositionPair): Buffer {
  const bytes = Buffer.alloc(SLOT_SIZE);
  bytes.writeUInt32BE(MAGIC, 0);
  bytes.writeUInt32BE(VERSION, 4);
  bytes.writeBigUInt64BE(sequence, 8);
  bytes.set(pair.from.encode(), 16);
  bytes.set(pair.to.encode(), 32);
  bytes.writeUInt32BE(crc32(bytes.subarray(0, 48)), 48);
  return bytes;
}

/** The slot at `offset`, or undefined if it is not a whole, checksummed version-2 slot. */
function decodeSlot(bytes: Buffer, offset: number): Slot | undefined {
  const slot = bytes.subarray(offset, offset + SLOT_SIZE);
  if (slot.length !== SLOT_SIZE || slot.readUInt32BE(0) !== MAGIC || slot.readUInt32BE(4) !== VERSION) return undefined;
  if (slot.readUInt32BE(48) !== crc32(slot.subarray(0, 48))) return undefined;
  return {
    sequence: slot.readBigUInt64BE(8),
    pair: { from: Position.decode(slot.subarray(16, 32)), to: Position.decode(slot.subarray(32, 48)) },
  };
}

/** The newest valid slot of a version-2 file's bytes and its index; undefined if neither slot is valid. */
function newestSlot(bytes: Buffer): { slot: Slot; index: 0 | 1 } | undefined {
  const a = decodeSlot(bytes, SLOT_OFFSETS[0]);
  const b = decodeSlot(bytes, SLOT_OFFSETS[1]);
  if (a === undefined) return b === undefined ? undefined : { slot: b, index: 1 };
  if (b === undefined || a.sequence > b.sequence) return { slot: a, index: 0 };
  return { slot: b, index: 1 };
}

function notAPositionFile(file: string): TypeError {
  return new TypeError(`Expected ${file} to be a wasmlite replica position file`);
}

/**
 * Reading and writing the position file beside a replica's database (README.md, "Position
 * file"). `write` replaces the whole file atomically (temporary file, fsync, rename, directory
 * fsync): for creating it. `open` keeps it open for in-place writes that alternate between its
 * two slots: one fdatasync each. `read` also reads the 44-byte version-1 files of earlier
 * releases (`write` replaces them with version 2).
 *
 * @example
 * PositionFile.write(file, { from: pos, to: pos }, true);
 * const writer = PositionFile.open(file, true);
 * writer.write({ from: pos, to: next });
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
    if (bytes.length === SIZE_1) {
      if (
        bytes.readUInt32BE(0) !== MAGIC ||
        bytes.readUInt32BE(4) !== VERSION_1 ||
        bytes.readUInt32BE(40) !== crc32(bytes.subarray(0, 40))
      ) {
        throw notAPositionFile(file);
      }
      return { from: Position.decode(bytes.subarray(8, 24)), to: Position.decode(bytes.subarray(24, 40)) };
    }
    if (bytes.length !== SIZE) throw notAPositionFile(file);
    const newest = newestSlot(bytes);
    if (newest === undefined) throw notAPositionFile(file);
    return newest.slot.pair;
  },

  /** Replaces `file` with `pair` (both slots), atomically; durable before returning if `sync`. */
  write(file: string, pair: PositionPair, sync: boolean): void {
    const bytes = Buffer.alloc(SIZE);
    bytes.set(encodeSlot(0n, pair), SLOT_OFFSETS[0]);
    bytes.set(encodeSlot(1n, pair), SLOT_OFFSETS[1]);
    writeFileDurably(file, bytes, { sync });
  },

  /**
   * Opens a version-2 `file` (made by {@link PositionFile.write}) for in-place writes. Throws a
   * TypeError if it is not one, and Node's error if it cannot be opened.
   */
  open(file: string, sync: boolean): PositionWriter {
    const fd = fs.openSync(file, 'r+');
    let sequence: bigint;
    let index: 0 | 1;
    try {
      const bytes = Buffer.alloc(SIZE + 1);
      const n = fs.readSync(fd, bytes, 0, SIZE + 1, 0);
      const newest = n === SIZE ? newestSlot(bytes.subarray(0, SIZE)) : undefined;
      if (newest === undefined) throw notAPositionFile(file);
      ({ sequence } = newest.slot);
      ({ index } = newest);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    let open = true;
    return {
      write(pair: PositionPair): void {
        if (!open) throw new TypeError('The position file is closed');
        const next = sequence + 1n;
        const slot = index === 0 ? 1 : 0;
        const bytes = encodeSlot(next, pair);
        for (let done = 0; done < SLOT_SIZE;)
          done += fs.writeSync(fd, bytes, done, SLOT_SIZE - done, SLOT_OFFSETS[slot] + done);
        // The file's size never changes, so its data is all that must reach the disk.
        if (sync) fs.fdatasyncSync(fd);
        sequence = next;
        index = slot;
      },
      close(): void {
        if (!open) return;
        open = false;
        fs.closeSync(fd);
      },
    };
  },
};
