import type { OpenFile } from './open-file.ts';

const WAL_HEADER_SIZE = 32;
const FRAME_HEADER_SIZE = 24;
const COUNTER_OFFSET = 24;

/** One database's override: the change counter its page 1 shows, and its page size. */
interface Override {
  readonly counter: number;
  readonly pageSize: number;
}

/**
 * The change counters that page 1 of some databases shows to reads while an override is active
 * (see `SqliteVfs.withChangeCounter`). SQLite's WAL writer stamps page 1 with the counter it read
 * plus one, so a replica that must write the primary's exact page 1 shows its pager `wanted - 1`.
 *
 * @example
 * const overrides = new ChangeCounterOverrides();
 * overrides.run('/srv/replica.db', 41, 4096, () => apply());
 */
export class ChangeCounterOverrides {
  readonly #active = new Map<string, Override>();
  readonly #header = new Uint8Array(4);

  /** Whether any override is active (the read path's fast check). */
  get size(): number {
    return this.#active.size;
  }

  /** Runs `fn` with page 1 of the database at `path` (a full path) showing `counter`. */
  run<T>(path: string, counter: number, pageSize: number, fn: () => T): T {
    if (this.#active.has(path)) throw new TypeError(`The database ${path} already has a change counter override`);
    this.#active.set(path, { counter, pageSize });
    try {
      return fn();
    } finally {
      this.#active.delete(path);
    }
  }

  /**
   * Patches a successful read of `n` bytes at `offset` of `file` into `heap` at `pDest` if it
   * holds the counter of an overridden database's page 1: bytes 24..27 of the database file, or
   * of a WAL frame whose header says page 1.
   */
  patch(file: OpenFile, heap: Uint8Array, pDest: number, n: number, offset: number): void {
    const path = file.path;
    if (path === null) return;
    let override = this.#active.get(path);
    if (override !== undefined) {
      if (offset <= COUNTER_OFFSET && offset + n >= COUNTER_OFFSET + 4)
        write(heap, pDest + COUNTER_OFFSET - offset, override.counter);
      return;
    }
    if (!path.endsWith('-wal')) return;
    override = this.#active.get(path.slice(0, -4));
    if (override === undefined || n !== override.pageSize) return;
    const frame = override.pageSize + FRAME_HEADER_SIZE;
    if (offset < WAL_HEADER_SIZE + FRAME_HEADER_SIZE || (offset - WAL_HEADER_SIZE) % frame !== FRAME_HEADER_SIZE)
      return;
    const header = this.#header;
    if (file.handle.read(header, 0, 4, offset - FRAME_HEADER_SIZE) !== 4) return;
    if (header[0] === 0 && header[1] === 0 && header[2] === 0 && header[3] === 1)
      write(heap, pDest + COUNTER_OFFSET, override.counter);
  }
}

function write(heap: Uint8Array, at: number, value: number): void {
  heap[at] = value >>> 24;
  heap[at + 1] = (value >>> 16) & 0xff;
  heap[at + 2] = (value >>> 8) & 0xff;
  heap[at + 3] = value & 0xff;
}
