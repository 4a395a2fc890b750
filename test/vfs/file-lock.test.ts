import { describe, expect, it } from 'vitest';
import {
  SQLITE_BUSY,
  SQLITE_LOCK_EXCLUSIVE,
  SQLITE_LOCK_NONE,
  SQLITE_LOCK_PENDING,
  SQLITE_LOCK_RESERVED,
  SQLITE_LOCK_SHARED,
  SQLITE_OK,
} from '../../core/sqlite3/constants.ts';
import { FileLock } from '../../core/vfs/file-lock.ts';
import { LockTable } from '../../core/vfs/lock-table.ts';

const holder = () => ({ lockLevel: SQLITE_LOCK_NONE });

describe('FileLock', () => {
  it('shares SHARED among any number of connections', () => {
    const lock = new FileLock('/db');
    const [a, b, c] = [holder(), holder(), holder()];
    for (const h of [a, b, c]) expect(lock.lock(h, SQLITE_LOCK_SHARED)).toBe(SQLITE_OK);
    expect(lock.reserved).toBe(false);
  });

  it('grants one RESERVED at a time, alongside readers', () => {
    const lock = new FileLock('/db');
    const [a, b, c] = [holder(), holder(), holder()];
    for (const h of [a, b, c]) lock.lock(h, SQLITE_LOCK_SHARED);
    expect(lock.lock(a, SQLITE_LOCK_RESERVED)).toBe(SQLITE_OK);
    expect(lock.reserved).toBe(true);
    expect(lock.lock(b, SQLITE_LOCK_RESERVED)).toBe(SQLITE_BUSY);
    expect(b.lockLevel).toBe(SQLITE_LOCK_SHARED);
    const d = holder();
    expect(lock.lock(d, SQLITE_LOCK_SHARED)).toBe(SQLITE_OK);
    lock.unlock(a, SQLITE_LOCK_SHARED);
    expect(lock.reserved).toBe(false);
    expect(lock.lock(b, SQLITE_LOCK_RESERVED)).toBe(SQLITE_OK);
  });

  it('keeps PENDING after a refused EXCLUSIVE, which keeps new readers out until it is released', () => {
    const lock = new FileLock('/db');
    const [writer, reader, late] = [holder(), holder(), holder()];
    lock.lock(writer, SQLITE_LOCK_SHARED);
    lock.lock(reader, SQLITE_LOCK_SHARED);
    lock.lock(writer, SQLITE_LOCK_RESERVED);
    expect(lock.lock(writer, SQLITE_LOCK_EXCLUSIVE)).toBe(SQLITE_BUSY);
    expect(writer.lockLevel).toBe(SQLITE_LOCK_PENDING);
    expect(lock.lock(late, SQLITE_LOCK_SHARED)).toBe(SQLITE_BUSY);
    expect(lock.lock(reader, SQLITE_LOCK_RESERVED)).toBe(SQLITE_BUSY);
    lock.unlock(reader, SQLITE_LOCK_NONE);
    expect(lock.lock(writer, SQLITE_LOCK_EXCLUSIVE)).toBe(SQLITE_OK);
    expect(lock.lock(late, SQLITE_LOCK_SHARED)).toBe(SQLITE_BUSY);
    lock.unlock(writer, SQLITE_LOCK_SHARED);
    expect(lock.lock(late, SQLITE_LOCK_SHARED)).toBe(SQLITE_OK);
  });

  it('lets a writer that gives up release PENDING to readers', () => {
    const lock = new FileLock('/db');
    const [writer, reader, late] = [holder(), holder(), holder()];
    lock.lock(writer, SQLITE_LOCK_SHARED);
    lock.lock(reader, SQLITE_LOCK_SHARED);
    lock.lock(writer, SQLITE_LOCK_RESERVED);
    lock.lock(writer, SQLITE_LOCK_EXCLUSIVE);
    lock.unlock(writer, SQLITE_LOCK_NONE);
    expect(lock.reserved).toBe(false);
    expect(lock.lock(late, SQLITE_LOCK_SHARED)).toBe(SQLITE_OK);
  });

  it('refuses EXCLUSIVE straight from SHARED while another connection holds RESERVED', () => {
    const lock = new FileLock('/db');
    const [a, b] = [holder(), holder()];
    lock.lock(a, SQLITE_LOCK_SHARED);
    lock.lock(b, SQLITE_LOCK_SHARED);
    lock.lock(a, SQLITE_LOCK_RESERVED);
    expect(lock.lock(b, SQLITE_LOCK_EXCLUSIVE)).toBe(SQLITE_BUSY);
    expect(b.lockLevel).toBe(SQLITE_LOCK_SHARED);
    lock.unlock(a, SQLITE_LOCK_NONE);
    expect(lock.lock(b, SQLITE_LOCK_EXCLUSIVE)).toBe(SQLITE_OK);
    expect(lock.reserved).toBe(true);
  });

  it('grants EXCLUSIVE straight from SHARED only to a sole reader, without PENDING', () => {
    const lock = new FileLock('/db');
    const [a, b, late] = [holder(), holder(), holder()];
    lock.lock(a, SQLITE_LOCK_SHARED);
    lock.lock(b, SQLITE_LOCK_SHARED);
    expect(lock.lock(a, SQLITE_LOCK_EXCLUSIVE)).toBe(SQLITE_BUSY);
    expect(a.lockLevel).toBe(SQLITE_LOCK_SHARED);
    expect(lock.lock(late, SQLITE_LOCK_SHARED)).toBe(SQLITE_OK);
    lock.unlock(b, SQLITE_LOCK_NONE);
    lock.unlock(late, SQLITE_LOCK_NONE);
    expect(lock.lock(a, SQLITE_LOCK_EXCLUSIVE)).toBe(SQLITE_OK);
    expect(lock.lock(b, SQLITE_LOCK_SHARED)).toBe(SQLITE_BUSY);
  });

  it('is shared by every attach of one path in a LockTable', () => {
    const table = new LockTable();
    const a = table.attach('/db');
    expect(table.attach('/db')).toBe(a);
    expect(table.attach('/other')).not.toBe(a);
    table.detach(a);
    table.detach(a);
    expect(table.attach('/db')).not.toBe(a);
  });
});
