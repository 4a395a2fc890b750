import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syncDirectory, writeFileDurably } from '../../core/util/durable-file.ts';
import { NodeFilesystem } from '../../core/vfs/index.ts';
import { useTempDir } from '../support/temp-dir.ts';

const temp = useTempDir();

describe('writeFileDurably', () => {
  it('replaces a file with the new content and leaves no temporary file', () => {
    const file = temp.file('dbid');
    fs.writeFileSync(file, 'old\n');
    writeFileDurably(file, 'new\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    writeFileDurably(file, Buffer.from([1, 2, 3]), { sync: false });
    expect([...fs.readFileSync(file)]).toEqual([1, 2, 3]);
    expect(fs.readdirSync(temp.dir)).toEqual(['dbid']);
  });

  it('creates a file that does not exist yet', () => {
    const file = temp.file('position');
    writeFileDurably(file, 'x');
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it("throws Node's error, keeps what was there and removes its temporary file when the rename fails", () => {
    const target = temp.file('taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'kept');
    expect(() => writeFileDurably(target, 'new')).toThrow(expect.objectContaining({ code: expect.any(String) }));
    expect(fs.readFileSync(path.join(target, 'inside'), 'utf8')).toBe('kept');
    expect(fs.readdirSync(temp.dir)).toEqual(['taken']);
  });

  it("throws Node's error for a directory that does not exist", () => {
    expect(() => writeFileDurably(temp.file('missing/file'), 'x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('syncDirectory', () => {
  it('syncs a directory', () => {
    expect(() => syncDirectory(temp.dir)).not.toThrow();
  });

  // procfs answers fsync on a directory with EINVAL, as some network and FUSE file systems do.
  it('accepts a file system that cannot sync a directory', () => {
    expect(() => syncDirectory('/proc')).not.toThrow();
  });

  it("throws Node's error for a directory that does not exist", () => {
    expect(() => syncDirectory(temp.file('missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it("is NodeFilesystem's directory sync", () => {
    expect(() => new NodeFilesystem().syncParentDirectory('/proc/version')).not.toThrow();
  });
});
