import { SQLITE_IOERR_WRITE, SQLITE_OK } from '../sqlite3/constants.ts';
import type { CommitObserver, CommitPage, WalCommit } from './commit-observer.ts';
import type { FileHandle } from './filesystem.ts';
import { vfsFailure } from './vfs-error.ts';

const WAL_HEADER_SIZE = 32;
const FRAME_HEADER_SIZE = 24;
const WAL_MAGIC = 0x377f0682; // | 1 for big-endian checksums

/** A frame the current transaction wrote: its page, and the image last written into it. */
interface Frame {
  readonly pgno: number;
  data: Uint8Array | null;
}

/** The commit frame (its header is in `#heldHeader`), held back until the observer has accepted the commit. */
interface HeldCommitFrame {
  readonly index: number;
  readonly commitPageCount: number;
}

/**
 * Turns SQLite's writes to one database's `-wal` file into {@link WalCommit}s for a
 * {@link CommitObserver}. The WAL file handles of every connection to the database write through
 * it, and the VFS tells it when a connection takes and releases the WAL write lock (shm slot 0),
 * which SQLite holds for exactly one write transaction: taking it starts a transaction, releasing
 * it without a commit frame is a rollback.
 *
 * Within a transaction it keeps, per WAL frame, the page number and the page image last written
 * into the frame, because SQLite rewrites the data of a frame the same transaction spilled, and
 * after `ROLLBACK TO` a savepoint appends over frames it gave up. When the page data of the
 * commit frame arrives, the transaction is the last image of each page in the frames up to it;
 * the observer sees it before the commit frame is written, so that refusing it leaves no commit
 * frame in the file for WAL recovery to find. Whatever SQLite writes after the commit frame
 * (checksum rewrites, padding to a sector) and before releasing the lock belongs to that commit.
 *
 * Writes it cannot place (outside the write lock, which `locking_mode=EXCLUSIVE` never takes, or
 * at offsets that are neither a frame header nor a frame's data) fail with `SQLITE_IOERR_WRITE`
 * and an explaining cause rather than being misread.
 *
 * @example
 * const tracker = new WalCommitTracker('/app.db', observer);
 * tracker.writeLocked();
 * tracker.write(handle, heap, pSrc, 24, 32);    // the first frame's header
 * tracker.writeUnlocked(walIndex.mxFrame());
 */
export class WalCommitTracker {
  /** The canonical path of the database file (the WAL is this plus `-wal`). */
  readonly path: string;
  #observer: CommitObserver | null;
  #writing = false;
  #pageSize = 0;
  /** WAL frame index (from 0) of `#frames[0]`; -1 until the transaction writes a frame. */
  #base = -1;
  #frames: Frame[] = [];
  #held: HeldCommitFrame | null = null;
  readonly #heldHeader = new Uint8Array(FRAME_HEADER_SIZE);
  /** The commit the observer accepted, kept until the write lock is released. */
  #committed: { readonly index: number; readonly commit: WalCommit } | null = null;

  constructor(path: string, observer: CommitObserver) {
    this.path = path;
    this.#observer = observer;
  }

  /** Whether an observer is attached (false after {@link detach}). */
  get attached(): boolean {
    return this.#observer !== null;
  }

  /** Stops observing: from now on writes go straight to the file. */
  detach(): void {
    this.#observer = null;
    this.#reset();
  }

  /** A connection took the WAL write lock: a write transaction starts. */
  writeLocked(): void {
    this.#reset();
    this.#writing = true;
  }

  /**
   * The connection holding the WAL write lock released it; `mxFrame` is the wal-index header's
   * last committed frame (1-based) at that moment. A transaction with no commit frame was rolled
   * back; one whose commit frame is beyond `mxFrame` was accepted by the observer but not
   * committed by SQLite, which the observer is told.
   */
  writeUnlocked(mxFrame: number): void {
    const committed = this.#committed;
    this.#reset();
    this.#writing = false;
    const observer = this.#observer;
    if (committed === null || mxFrame > committed.index || observer?.commitFailed === undefined) return;
    try {
      observer.commitFailed(committed.commit);
    } catch {
      // Documented as ignored: this runs inside xShmLock, where nothing may throw.
    }
  }

  /**
   * `xWrite` of one of the database's WAL files: writes `heap[pSrc…pSrc+n)` at `offset` through
   * `handle`, and follows the transaction. Returns the SQLite result code; never throws.
   */
  write(handle: FileHandle, heap: Uint8Array, pSrc: number, n: number, offset: number): number {
    try {
      if (this.#observer === null) {
        handle.write(heap, pSrc, n, offset);
        return SQLITE_OK;
      }
      return this.#write(handle, heap, pSrc, n, offset);
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_WRITE);
    }
  }

  #write(handle: FileHandle, heap: Uint8Array, pSrc: number, n: number, offset: number): number {
    if (!this.#writing) throw this.#withoutLock();
    if (offset === 0 && n === WAL_HEADER_SIZE) return this.#walHeader(handle, heap, pSrc, n);
    if (offset < WAL_HEADER_SIZE) throw this.#unexpected(n, offset);
    const pageSize = this.#pageSize !== 0 ? this.#pageSize : this.#readPageSize(handle);
    const frameSize = FRAME_HEADER_SIZE + pageSize;
    const index = Math.floor((offset - WAL_HEADER_SIZE) / frameSize);
    const within = offset - WAL_HEADER_SIZE - index * frameSize;
    const isHeader = within === 0 && n === FRAME_HEADER_SIZE;
    if (this.#committed !== null) {
      // After the commit frame SQLite only rewrites checksums and pads with copies of the commit
      // frame; a frame that commits nothing is the next transaction, which needs the lock first.
      if (isHeader && index > this.#committed.index && readU32(heap, pSrc + 4) === 0) throw this.#withoutLock();
      handle.write(heap, pSrc, n, offset);
      return SQLITE_OK;
    }
    const isData = within === FRAME_HEADER_SIZE && n === pageSize;
    const held = this.#held;
    if (held !== null) {
      if (!isData || index !== held.index) throw this.#unexpected(n, offset);
      return this.#commit(handle, heap, pSrc, n, offset, held);
    }
    if (isHeader) return this.#frameHeader(handle, heap, pSrc, offset, index);
    if (isData) return this.#frameData(handle, heap, pSrc, n, offset, index);
    throw this.#unexpected(n, offset);
  }

  /** A WAL header: the WAL (re)starts, frame numbering starts over. */
  #walHeader(handle: FileHandle, heap: Uint8Array, pSrc: number, n: number): number {
    if (this.#committed !== null) throw this.#withoutLock();
    if (this.#held !== null) throw this.#unexpected(n, 0);
    const pageSize = walHeaderPageSize(heap, pSrc);
    if (pageSize === 0) throw new Error(`unexpected WAL header written to ${this.path}-wal`);
    handle.write(heap, pSrc, n, 0);
    this.#pageSize = pageSize;
    this.#base = -1;
    this.#frames = [];
    return SQLITE_OK;
  }

  #frameHeader(handle: FileHandle, heap: Uint8Array, pSrc: number, offset: number, index: number): number {
    const pgno = readU32(heap, pSrc);
    const commitPageCount = readU32(heap, pSrc + 4);
    if (pgno === 0) throw this.#unexpected(FRAME_HEADER_SIZE, offset);
    if (this.#base === -1) this.#base = index;
    const slot = index - this.#base;
    if (slot < 0 || slot > this.#frames.length) throw this.#unexpected(FRAME_HEADER_SIZE, offset);
    // SQLite appends at its last frame + 1: anything after it was given up by ROLLBACK TO.
    this.#frames.length = slot;
    this.#frames.push({ pgno, data: null });
    if (commitPageCount !== 0) {
      this.#heldHeader.set(heap.subarray(pSrc, pSrc + FRAME_HEADER_SIZE));
      this.#held = { index, commitPageCount };
      return SQLITE_OK;
    }
    handle.write(heap, pSrc, FRAME_HEADER_SIZE, offset);
    return SQLITE_OK;
  }

  /** A frame's page data: a new frame's, or a rewrite of a frame this transaction spilled. */
  #frameData(handle: FileHandle, heap: Uint8Array, pSrc: number, n: number, offset: number, index: number): number {
    const frame = this.#base === -1 ? undefined : this.#frames[index - this.#base];
    if (frame === undefined) throw this.#unexpected(n, offset);
    handle.write(heap, pSrc, n, offset);
    frame.data = heap.slice(pSrc, pSrc + n);
    return SQLITE_OK;
  }

  #commit(
    handle: FileHandle,
    heap: Uint8Array,
    pSrc: number,
    n: number,
    offset: number,
    held: HeldCommitFrame,
  ): number {
    const last = held.index - this.#base;
    this.#frames[last]!.data = heap.slice(pSrc, pSrc + n);
    this.#held = null;
    const commit = this.#collect(last, held.commitPageCount);
    try {
      this.#observer!.commit(commit);
    } catch (error) {
      // An observer that could not store the commit for a full disk (the log's ENOSPC) is a full
      // disk to SQLite too: SQLITE_FULL, the transaction rolled back, the error kept as cause.
      return vfsFailure(error, SQLITE_IOERR_WRITE);
    }
    this.#committed = { index: held.index, commit };
    handle.write(this.#heldHeader, 0, FRAME_HEADER_SIZE, offset - FRAME_HEADER_SIZE);
    handle.write(heap, pSrc, n, offset);
    return SQLITE_OK;
  }

  /** The transaction committed by frame slot `last`: each page's image in its latest frame. */
  #collect(last: number, commitPageCount: number): WalCommit {
    const latest = new Map<number, Uint8Array>();
    for (let slot = 0; slot <= last; slot++) {
      const { pgno, data } = this.#frames[slot]!;
      if (data === null)
        throw new Error(`frame ${this.#base + slot + 1} of ${this.path}-wal was committed without its page data`);
      // Pages spilled and then cut off by a shrinking commit are not part of the database.
      if (pgno <= commitPageCount) latest.set(pgno, data);
    }
    const pages: CommitPage[] = Array.from(latest, ([pgno, data]) => ({ pgno, data }));
    pages.sort((a, b) => a.pgno - b.pgno);
    return { pageSize: this.#pageSize, commitPageCount, pages };
  }

  /** The page size of a WAL written before this tracker saw its header (e.g. found at open). */
  #readPageSize(handle: FileHandle): number {
    const header = new Uint8Array(WAL_HEADER_SIZE);
    const pageSize = handle.read(header, 0, WAL_HEADER_SIZE, 0) === WAL_HEADER_SIZE ? walHeaderPageSize(header, 0) : 0;
    if (pageSize === 0) throw new Error(`${this.path}-wal has no valid WAL header to take the page size from`);
    this.#pageSize = pageSize;
    return pageSize;
  }

  #reset(): void {
    this.#base = -1;
    this.#frames = [];
    this.#held = null;
    this.#committed = null;
  }

  #withoutLock(): Error {
    return new Error(
      `cannot observe a write to ${this.path}-wal made without the WAL write lock: ` +
        'commit observers need locking_mode=NORMAL',
    );
  }

  #unexpected(n: number, offset: number): Error {
    return new Error(
      `unexpected write of ${n} bytes at offset ${offset} of ${this.path}-wal (page size ${this.#pageSize})`,
    );
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** The page size in a WAL header at `bytes[at…]`, or 0 if it is not a valid WAL header. */
function walHeaderPageSize(bytes: Uint8Array, at: number): number {
  if ((readU32(bytes, at) & ~1) >>> 0 !== WAL_MAGIC) return 0;
  const pageSize = readU32(bytes, at + 8);
  return pageSize >= 512 && pageSize <= 65536 && (pageSize & (pageSize - 1)) === 0 ? pageSize : 0;
}
