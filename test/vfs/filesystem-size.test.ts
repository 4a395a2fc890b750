import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileHandle, Filesystem } from '../../core/vfs/filesystem.ts';
import { MemoryFilesystem } from '../../core/vfs/memory-filesystem.ts';
import { NodeFilesystem } from '../../core/vfs/node-filesystem.ts';
import { PowerLossFilesystem } from '../support/power-loss-filesystem.ts';

interface SizeHarness {
  fs: Filesystem;
  dir: string;
  cleanup(): void;
}

const FILESYSTEMS: [string, () => SizeHarness][] = [
  [
    'NodeFilesystem',
    () => {
      const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-size-')));
      return { fs: new NodeFilesystem(), dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'MemoryFilesystem',
    () => {
      const files = new MemoryFilesystem();
      files.mkdir('/data');
      return { fs: files, dir: '/data', cleanup: () => {} };
    },
  ],
  [
    'PowerLossFilesystem',
    () => {
      const files = new PowerLossFilesystem();
      files.mkdir('/data');
      return { fs: files, dir: '/data', cleanup: () => {} };
    },
  ],
];

const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

for (const [name, make] of FILESYSTEMS) {
  describe(`${name} file sizes`, () => {
    let h: SizeHarness;
    const handles: FileHandle[] = [];

    function open(file: string, owned = true): FileHandle {
      const handle = h.fs.open(path.posix.join(h.dir, file), { write: true, create: true, exclusive: false, owned });
      handles.push(handle);
      return handle;
    }

    function close(handle: FileHandle): void {
      handles.splice(handles.indexOf(handle), 1);
      handle.close();
    }

    afterEach(() => {
      for (const handle of handles.splice(0)) handle.close();
      h.cleanup();
    });

    for (const owned of [true, false]) {
      it(`gives every handle on a file the size any one wrote or truncated (${owned ? 'owned' : 'not owned'})`, () => {
        h = make();
        const a = open('f.db', owned);
        const b = open('f.db', owned);
        expect([a.size(), b.size()]).toEqual([0, 0]);
        a.write(bytes(4096), 0, 4096, 0);
        expect(b.size()).toBe(4096);
        b.write(bytes(100), 0, 100, 8192);
        expect([a.size(), b.size()]).toEqual([8292, 8292]);
        // A write inside the file changes nothing.
        a.write(bytes(10), 0, 10, 50);
        expect(b.size()).toBe(8292);
        b.truncate(1000);
        expect([a.size(), b.size()]).toEqual([1000, 1000]);
        a.truncate(5000);
        expect(b.size()).toBe(5000);
        b.truncate(0);
        expect(a.size()).toBe(0);
        expect(h.fs.stat(path.posix.join(h.dir, 'f.db'))?.size).toBe(0);
      });
    }

    it('starts a file deleted and created again, while a handle on the old one is open, from its real size', () => {
      h = make();
      const file = path.posix.join(h.dir, 'f.db-journal');
      const old = open('f.db-journal');
      old.write(bytes(3000), 0, 3000, 0);
      h.fs.delete(file);
      const fresh = open('f.db-journal');
      expect(fresh.size()).toBe(0);
      fresh.write(bytes(10), 0, 10, 0);
      expect([old.size(), fresh.size()]).toEqual([3000, 10]);
      close(old);
      close(fresh);
      h.fs.delete(file);
      expect(open('f.db-journal').size()).toBe(0);
    });

    it('reads back what a handle wrote after another truncated and extended the file', () => {
      h = make();
      const a = open('f.db');
      const b = open('f.db');
      a.write(bytes(8192, 1), 0, 8192, 0);
      b.truncate(100);
      b.truncate(200);
      const out = bytes(300, 9);
      expect(a.read(out, 0, 300, 0)).toBe(a.size());
      expect(a.size()).toBe(200);
      expect([...out.subarray(98, 102)]).toEqual([1, 1, 0, 0]);
    });
  });
}

describe('NodeFilesystem sizes of files written by others', () => {
  let dir: string;
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('asks the OS for the size of a file it does not own, and of an owned file after its last close', () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-size-')));
    const file = path.join(dir, 'f.db');
    const nodeFs = new NodeFilesystem();
    fs.writeFileSync(file, bytes(100));
    const reader = nodeFs.open(file, { write: false, create: false, exclusive: false, owned: false });
    try {
      fs.appendFileSync(file, bytes(50));
      expect(reader.size()).toBe(150);
    } finally {
      reader.close();
    }
    const owner = nodeFs.open(file, { write: true, create: false, exclusive: false, owned: true });
    expect(owner.size()).toBe(150);
    owner.close();
    fs.appendFileSync(file, bytes(50));
    const again = nodeFs.open(file, { write: true, create: false, exclusive: false, owned: true });
    try {
      expect(again.size()).toBe(200);
    } finally {
      again.close();
    }
  });
});
