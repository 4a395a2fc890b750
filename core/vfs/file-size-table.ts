/**
 * The size of one file as every handle on it in this thread knows it: `size` is exact, or `-1`
 * when it must be asked of the OS (at first, and after a write or truncate that failed part-way).
 */
export interface KnownSize {
  /** The file's identity (device and inode), the table key. */
  readonly key: string;
  size: number;
  /** How many open handles share this entry; the last one to close removes it. */
  handles: number;
}

/**
 * The sizes of the files this thread has open, by file identity (device and inode), shared by
 * every handle on the same file so that a write through one handle is seen through the others.
 * Valid only for files nobody else writes meanwhile: {@link NodeFilesystem} keeps sizes here only
 * for opens marked {@link OpenMode.owned}. An entry lives while a handle on the file is open; a
 * file deleted and created again is another inode, so it starts from its real size.
 *
 * @example
 * const table = new FileSizeTable();
 * const known = table.attach('2049:1234', 4096); // the same entry for every handle on that inode
 * known.size = 8192;                             // after a write past the end
 * table.detach(known);
 */
export class FileSizeTable {
  readonly #sizes = new Map<string, KnownSize>();

  /**
   * The entry of the file `key`, counted as one more handle. A new entry starts at `size` (what
   * the OS said at open); an existing one keeps its own, which is at least as recent.
   */
  attach(key: string, size: number): KnownSize {
    let known = this.#sizes.get(key);
    if (known === undefined) {
      known = { key, size, handles: 0 };
      this.#sizes.set(key, known);
    } else if (known.size < 0) {
      known.size = size;
    }
    known.handles++;
    return known;
  }

  /** Drops one handle of `known`; the last one removes the entry. */
  detach(known: KnownSize): void {
    if (--known.handles === 0 && this.#sizes.get(known.key) === known) this.#sizes.delete(known.key);
  }

  /** How many files have an entry. */
  get count(): number {
    return this.#sizes.size;
  }
}
