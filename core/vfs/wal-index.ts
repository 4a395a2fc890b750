import {
  SQLITE_BUSY,
  SQLITE_OK,
  SQLITE_SHM_EXCLUSIVE,
  SQLITE_SHM_NLOCK,
  SQLITE_SHM_SHARED,
  SQLITE_SHM_UNLOCK,
} from '../sqlite3/constants.ts';

/** The part of the engine a {@link WalIndex} needs: the heap and its allocator. */
export interface WalIndexHeap {
  readonly u8: Uint8Array;
  readonly x: { sqlite3_malloc(n: number): number; sqlite3_free(ptr: number): void };
}

/** One connection's use of a {@link WalIndex}: the lock slots it holds. */
export class WalIndexConnection {
  readonly index: WalIndex;
  sharedMask = 0;
  exclusiveMask = 0;

  constructor(index: WalIndex) {
    this.index = index;
  }
}

/**
 * The wal-index ("shared memory") of one database in WAL mode, for all connections of this
 * thread: zeroed regions allocated with `sqlite3_malloc` in the WASM heap, so that every
 * connection is handed the same pointers, plus SQLite's 8 shm lock slots with shared/exclusive
 * semantics between connections. WASM memory only grows in place, so the pointers stay valid.
 *
 * Fails only when the heap is exhausted ({@link map} throws a RangeError).
 *
 * @example
 * const index = new WalIndex('/app.db', engine);
 * const c = index.connect();
 * const p = index.map(0, 32768, true);              // zeroed region 0
 * index.lock(c, 0, 1, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE); // SQLITE_OK
 */
export class WalIndex {
  /** The canonical path of the database file. */
  readonly path: string;
  readonly #heap: WalIndexHeap;
  readonly #regions: number[] = [];
  readonly #connections = new Set<WalIndexConnection>();
  readonly #sharedCount = new Int32Array(SQLITE_SHM_NLOCK);
  readonly #exclusive: (WalIndexConnection | null)[] = new Array(SQLITE_SHM_NLOCK).fill(null);

  constructor(path: string, heap: WalIndexHeap) {
    this.path = path;
    this.#heap = heap;
  }

  /** Registers a connection. */
  connect(): WalIndexConnection {
    const connection = new WalIndexConnection(this);
    this.#connections.add(connection);
    return connection;
  }

  /**
   * Releases a connection's slots; returns true if it was the last one, after freeing the
   * regions (SQLite rebuilds the index from the WAL file on the next open).
   */
  disconnect(connection: WalIndexConnection): boolean {
    this.lock(connection, 0, SQLITE_SHM_NLOCK, SQLITE_SHM_UNLOCK);
    this.#connections.delete(connection);
    if (this.#connections.size > 0) return false;
    for (const ptr of this.#regions) this.#heap.x.sqlite3_free(ptr);
    this.#regions.length = 0;
    return true;
  }

  /** The pointer to region `region` (allocating it and those before it if `extend`), else 0. */
  map(region: number, size: number, extend: boolean): number {
    if (region < this.#regions.length) return this.#regions[region]!;
    if (!extend) return 0;
    while (this.#regions.length <= region) {
      const ptr = this.#heap.x.sqlite3_malloc(size);
      if (ptr === 0) throw new RangeError('out of memory in the wasm heap for the wal-index');
      this.#heap.u8.fill(0, ptr, ptr + size);
      this.#regions.push(ptr);
    }
    return this.#regions[region]!;
  }

  /**
   * The `mxFrame` field of the wal-index header: the last committed frame of the WAL (1-based;
   * a native-endian u32 at byte 16 of region 0, as https://sqlite.org/walformat.html specifies),
   * or 0 while region 0 is not mapped.
   */
  mxFrame(): number {
    const ptr = this.#regions[0];
    if (ptr === undefined) return 0;
    const u8 = this.#heap.u8;
    return (u8[ptr + 16]! | (u8[ptr + 17]! << 8) | (u8[ptr + 18]! << 16) | (u8[ptr + 19]! << 24)) >>> 0;
  }

  /** SQLite's `xShmLock`: takes or releases slots `[offset, offset+n)`; `SQLITE_OK` or `SQLITE_BUSY`. */
  lock(connection: WalIndexConnection, offset: number, n: number, flags: number): number {
    const mask = ((1 << n) - 1) << offset;
    if (flags & SQLITE_SHM_UNLOCK) {
      for (let i = offset; i < offset + n; i++) {
        const bit = 1 << i;
        if (connection.sharedMask & bit) this.#sharedCount[i]!--;
        if (connection.exclusiveMask & bit) this.#exclusive[i] = null;
      }
      connection.sharedMask &= ~mask;
      connection.exclusiveMask &= ~mask;
      return SQLITE_OK;
    }
    for (let i = offset; i < offset + n; i++) {
      const owner = this.#exclusive[i];
      if (owner !== null && owner !== connection) return SQLITE_BUSY;
    }
    if (flags & SQLITE_SHM_SHARED) {
      for (let i = offset; i < offset + n; i++) {
        if ((connection.sharedMask & (1 << i)) === 0) this.#sharedCount[i]!++;
      }
      connection.sharedMask |= mask;
      return SQLITE_OK;
    }
    if (flags & SQLITE_SHM_EXCLUSIVE) {
      for (let i = offset; i < offset + n; i++) {
        const own = (connection.sharedMask >> i) & 1;
        if (this.#sharedCount[i]! - own > 0) return SQLITE_BUSY;
      }
      for (let i = offset; i < offset + n; i++) this.#exclusive[i] = connection;
      connection.exclusiveMask |= mask;
    }
    return SQLITE_OK;
  }
}
