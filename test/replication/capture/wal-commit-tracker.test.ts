import { beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_IOERR_WRITE, SQLITE_OK } from '../../../core/sqlite3/constants.ts';
import {
  MemoryFile,
  takeVfsError,
  WalCommitTracker,
  type CommitObserver,
  type WalCommit,
} from '../../../core/vfs/index.ts';

// SQLite's writes to a WAL, made by hand: the tracker must read them as SQLite means them.
const PAGE = 512;
const FRAME = 24 + PAGE;

function u32(bytes: Uint8Array, at: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value);
}

function walHeader(pageSize = PAGE): Uint8Array {
  const bytes = new Uint8Array(32);
  u32(bytes, 0, 0x377f0682);
  u32(bytes, 4, 3007000);
  u32(bytes, 8, pageSize);
  return bytes;
}

function frameHeader(pgno: number, commitPageCount = 0): Uint8Array {
  const bytes = new Uint8Array(24);
  u32(bytes, 0, pgno);
  u32(bytes, 4, commitPageCount);
  bytes.fill(0xab, 8); // salts and checksums: the tracker does not read them
  return bytes;
}

function page(fill: number): Uint8Array {
  return new Uint8Array(PAGE).fill(fill);
}

const frameAt = (index: number): number => 32 + index * FRAME;

describe('WalCommitTracker', () => {
  let file: MemoryFile;
  let commits: WalCommit[];
  let failed: WalCommit[];
  let observer: CommitObserver;
  let tracker: WalCommitTracker;
  const heap = new Uint8Array(4 * PAGE);

  /** What SQLite's xWrite would do: the bytes are somewhere in the heap. */
  function write(bytes: Uint8Array, offset: number): number {
    heap.set(bytes, 100);
    return tracker.write(file, heap, 100, bytes.length, offset);
  }

  /** Writes a frame as SQLite does: header, then page data, two calls. */
  function frame(index: number, pgno: number, fill: number, commitPageCount = 0): void {
    expect(write(frameHeader(pgno, commitPageCount), frameAt(index))).toBe(SQLITE_OK);
    expect(write(page(fill), frameAt(index) + 24)).toBe(SQLITE_OK);
  }

  const summary = (c: WalCommit) => ({ size: c.commitPageCount, pages: c.pages.map((p) => [p.pgno, p.data[0]]) });

  beforeEach(() => {
    file = new MemoryFile();
    commits = [];
    failed = [];
    observer = { commit: (c) => void commits.push(c), commitFailed: (c) => void failed.push(c) };
    tracker = new WalCommitTracker('/app.db', observer);
    takeVfsError();
  });

  it('reports a transaction at the page data of its commit frame, pages sorted, with the page size', () => {
    tracker.writeLocked();
    expect(write(walHeader(), 0)).toBe(SQLITE_OK);
    frame(0, 5, 0x55);
    frame(1, 2, 0x22);
    expect(write(frameHeader(1, 5), frameAt(2))).toBe(SQLITE_OK);
    expect(commits).toHaveLength(0);
    expect(write(page(0x11), frameAt(2) + 24)).toBe(SQLITE_OK);
    expect(commits.map(summary)).toEqual([
      {
        size: 5,
        pages: [
          [1, 0x11],
          [2, 0x22],
          [5, 0x55],
        ],
      },
    ]);
    expect(commits[0]!.pageSize).toBe(PAGE);
    tracker.writeUnlocked(3);
    expect(failed).toHaveLength(0);
  });

  it('shows the observer the commit before the commit frame reaches the file', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x11);
    let sizeSeen = -1;
    observer.commit = () => void (sizeSeen = file.size());
    frame(1, 2, 0x22, 2);
    expect(sizeSeen).toBe(frameAt(1));
    expect(file.size()).toBe(frameAt(2));
    const onDisk = new Uint8Array(24);
    file.read(onDisk, 0, 24, frameAt(1));
    expect(onDisk).toEqual(frameHeader(2, 2));
  });

  it('takes the last image of a frame whose data the transaction rewrote in place', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 3, 0x01);
    frame(1, 4, 0x02);
    expect(write(page(0x03), frameAt(0) + 24)).toBe(SQLITE_OK); // spilled page 3 changed again
    frame(2, 1, 0x04, 4);
    expect(commits.map(summary)).toEqual([
      {
        size: 4,
        pages: [
          [1, 0x04],
          [3, 0x03],
          [4, 0x02],
        ],
      },
    ]);
  });

  it('drops frames that ROLLBACK TO gave up, when the transaction appends over them', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 2, 0x02);
    frame(1, 7, 0x07); // after a savepoint…
    frame(2, 8, 0x08); // …rolled back: SQLite appends from frame 1 again
    frame(1, 3, 0x03, 8);
    expect(commits.map(summary)).toEqual([
      {
        size: 8,
        pages: [
          [2, 0x02],
          [3, 0x03],
        ],
      },
    ]);
  });

  it('leaves out pages beyond the size the commit gives the database', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 9, 0x09);
    frame(1, 2, 0x02);
    frame(2, 1, 0x01, 4);
    expect(commits.map(summary)).toEqual([
      {
        size: 4,
        pages: [
          [1, 0x01],
          [2, 0x02],
        ],
      },
    ]);
  });

  it('reports one commit despite checksum rewrites and padding frames after the commit frame', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x01);
    frame(1, 2, 0x02, 2);
    expect(write(frameHeader(1), frameAt(0))).toBe(SQLITE_OK); // checksums recomputed
    expect(write(frameHeader(2, 2), frameAt(1))).toBe(SQLITE_OK);
    frame(2, 2, 0x02, 2); // padding to a sector boundary: copies of the commit frame
    frame(3, 2, 0x02, 2);
    expect(write(new Uint8Array(100), frameAt(4))).toBe(SQLITE_OK); // a write split at the sync point
    tracker.writeUnlocked(4);
    expect(commits).toHaveLength(1);
    expect(failed).toHaveLength(0);
  });

  it('reports nothing for a rolled-back transaction, and nothing of it leaks into the next', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x01, 1);
    tracker.writeUnlocked(1);
    tracker.writeLocked();
    frame(1, 6, 0x66); // spilled…
    frame(2, 7, 0x77);
    tracker.writeUnlocked(1); // …and rolled back
    expect(commits).toHaveLength(1);
    tracker.writeLocked();
    frame(1, 2, 0x22, 7); // the next transaction overwrites frame 1 only
    expect(commits.map(summary)[1]).toEqual({ size: 7, pages: [[2, 0x22]] });
  });

  it('starts frame numbering over when the WAL header is rewritten (a restart)', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x01);
    frame(1, 2, 0x02, 2);
    tracker.writeUnlocked(2);
    tracker.writeLocked();
    expect(write(walHeader(), 0)).toBe(SQLITE_OK);
    frame(0, 2, 0x22, 2);
    expect(commits.map(summary)[1]).toEqual({ size: 2, pages: [[2, 0x22]] });
  });

  it('reads the page size from a WAL it did not see start', () => {
    const header = walHeader();
    file.write(header, 0, 32, 0);
    tracker.writeLocked();
    frame(3, 1, 0x01, 1);
    expect(commits.map(summary)).toEqual([{ size: 1, pages: [[1, 0x01]] }]);
  });

  it('refuses the commit when the observer throws: SQLITE_IOERR_WRITE, the error kept, no commit frame written', () => {
    const refusal = new Error('log is down');
    observer.commit = () => {
      throw refusal;
    };
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x01);
    expect(write(frameHeader(2, 2), frameAt(1))).toBe(SQLITE_OK);
    expect(write(page(0x02), frameAt(1) + 24)).toBe(SQLITE_IOERR_WRITE);
    expect(takeVfsError()).toBe(refusal);
    expect(file.size()).toBe(frameAt(1));
    tracker.writeUnlocked(0);
    expect(failed).toHaveLength(0);
  });

  it('tells the observer when SQLite did not commit a transaction it accepted', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x01, 1);
    tracker.writeUnlocked(0); // the wal-index never got frame 1
    expect(commits).toHaveLength(1);
    expect(failed).toEqual(commits);
  });

  it('refuses writes made without the WAL write lock (locking_mode=EXCLUSIVE)', () => {
    expect(write(walHeader(), 0)).toBe(SQLITE_IOERR_WRITE);
    expect(takeVfsError()?.message).toMatch(/without the WAL write lock: commit observers need locking_mode=NORMAL/);
    tracker.writeLocked();
    write(walHeader(), 0);
    frame(0, 1, 0x01, 1);
    expect(write(frameHeader(2), frameAt(1))).toBe(SQLITE_IOERR_WRITE); // a second transaction, same lock
    expect(takeVfsError()?.message).toMatch(/without the WAL write lock/);
  });

  it('refuses writes it cannot place rather than misreading them', () => {
    tracker.writeLocked();
    write(walHeader(), 0);
    expect(write(new Uint8Array(100), frameAt(0) + 3)).toBe(SQLITE_IOERR_WRITE);
    expect(takeVfsError()?.message).toMatch(/unexpected write of 100 bytes/);
    expect(write(page(1), frameAt(5) + 24)).toBe(SQLITE_IOERR_WRITE); // data of a frame never started
    frame(0, 1, 0x01);
    expect(write(frameHeader(1), frameAt(2))).toBe(SQLITE_IOERR_WRITE); // frame 1 skipped
  });

  it('writes straight through once detached', () => {
    tracker.detach();
    expect(write(frameHeader(1, 1), frameAt(0))).toBe(SQLITE_OK);
    expect(write(page(1), frameAt(0) + 24)).toBe(SQLITE_OK);
    expect(commits).toHaveLength(0);
    expect(file.size()).toBe(frameAt(1));
  });
});
