import type { FileHandle } from './filesystem.ts';

/**
 * The bytes of one file held in JS memory, usable directly as an open {@link FileHandle}
 * (syncing and closing do nothing). Used by {@link MemoryFilesystem} and for SQLite's anonymous
 * temporary files.
 *
 * @example
 * const file = new MemoryFile();
 * file.write(Buffer.from('hello'), 0, 5, 10); // bytes 0–9 read as zeros
 * file.size(); // 15
 */
export class MemoryFile implements FileHandle {
  // Invariant: every byte of #bytes at or beyond #size is zero, so extending never exposes old data.
  #bytes: Uint8Array;
  #size: number;

  constructor(content?: Uint8Array) {
    this.#bytes = content === undefined ? new Uint8Array(0) : content.slice();
    this.#size = this.#bytes.length;
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.#size - position));
    if (n > 0) buffer.set(this.#bytes.subarray(position, position + n), offset);
    return n;
  }

  write(buffer: Uint8Array, offset: number, length: number, position: number): void {
    const end = position + length;
    this.#reserve(end);
    this.#bytes.set(buffer.subarray(offset, offset + length), position);
    if (end > this.#size) this.#size = end;
  }

  truncate(size: number): void {
    if (size < this.#size) this.#bytes.fill(0, size, this.#size);
    else this.#reserve(size);
    this.#size = size;
  }

  sync(): void {}

  size(): number {
    return this.#size;
  }

  close(): void {}

  /** A copy of the file's content. */
  bytes(): Uint8Array {
    return this.#bytes.slice(0, this.#size);
  }

  /** An independent copy of this file. */
  clone(): MemoryFile {
    return new MemoryFile(this.#bytes.subarray(0, this.#size));
  }

  #reserve(size: number): void {
    if (size <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(size, this.#bytes.length * 2, 4096));
    grown.set(this.#bytes.subarray(0, this.#size));
    this.#bytes = grown;
  }
}
