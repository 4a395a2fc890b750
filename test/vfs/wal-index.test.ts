import { describe, expect, it } from 'vitest';
import {
  SQLITE_BUSY,
  SQLITE_OK,
  SQLITE_SHM_EXCLUSIVE,
  SQLITE_SHM_LOCK,
  SQLITE_SHM_SHARED,
  SQLITE_SHM_UNLOCK,
} from '../../core/sqlite3/constants.ts';
import { WalIndex, type WalIndexHeap } from '../../core/vfs/wal-index.ts';
import { WalIndexTable } from '../../core/vfs/wal-index-table.ts';

/** A fake heap: a bump allocator over 1 MiB that records frees. */
function fakeHeap(): WalIndexHeap & { freed: number[] } {
  let next = 8;
  const freed: number[] = [];
  return {
    u8: new Uint8Array(1 << 20).fill(0xaa),
    freed,
    x: {
      sqlite3_malloc: (n) => {
        const p = next;
        next += n;
        return p;
      },
      sqlite3_free: (p) => void freed.push(p),
    },
  };
}

const SHARED = SQLITE_SHM_LOCK | SQLITE_SHM_SHARED;
const EXCLUSIVE = SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE;

describe('WalIndex', () => {
  it('hands every connection the same zeroed regions, and maps nothing without extend', () => {
    const heap = fakeHeap();
    const index = new WalIndex('/db', heap);
    index.connect();
    expect(index.map(1, 32768, false)).toBe(0);
    const p1 = index.map(1, 32768, true);
    const p0 = index.map(0, 32768, false);
    expect(p0).not.toBe(0);
    expect(index.map(1, 32768, false)).toBe(p1);
    expect(heap.u8.subarray(p0, p0 + 32768).every((b) => b === 0)).toBe(true);
    expect(heap.u8.subarray(p1, p1 + 32768).every((b) => b === 0)).toBe(true);
  });

  it('implements shared and exclusive slots between connections', () => {
    const index = new WalIndex('/db', fakeHeap());
    const [a, b] = [index.connect(), index.connect()];
    expect(index.lock(a, 3, 1, SHARED)).toBe(SQLITE_OK);
    expect(index.lock(b, 3, 1, SHARED)).toBe(SQLITE_OK);
    expect(index.lock(b, 3, 1, EXCLUSIVE)).toBe(SQLITE_BUSY);
    expect(index.lock(b, 0, 1, EXCLUSIVE)).toBe(SQLITE_OK);
    expect(index.lock(a, 0, 1, SHARED)).toBe(SQLITE_BUSY);
    expect(index.lock(a, 1, 7, EXCLUSIVE)).toBe(SQLITE_BUSY);
    index.lock(a, 3, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED);
    index.lock(b, 3, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED);
    expect(index.lock(a, 1, 7, EXCLUSIVE)).toBe(SQLITE_OK);
    index.lock(b, 0, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE);
    expect(index.lock(b, 0, 1, SHARED)).toBe(SQLITE_OK);
  });

  it("releases a leaving connection's slots and frees the regions with the last one", () => {
    const heap = fakeHeap();
    const table = new WalIndexTable(heap);
    const a = table.connect('/db');
    const b = table.connect('/db');
    expect(b.index).toBe(a.index);
    const p = a.index.map(0, 32768, true);
    a.index.lock(a, 0, 8, EXCLUSIVE);
    table.disconnect(a);
    expect(heap.freed).toEqual([]);
    expect(b.index.lock(b, 0, 8, EXCLUSIVE)).toBe(SQLITE_OK);
    table.disconnect(b);
    expect(heap.freed).toEqual([p]);
    expect(table.connect('/db').index).not.toBe(a.index);
  });
});
