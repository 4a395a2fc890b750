import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEngine, type Engine } from '../../core/sqlite3/engine.ts';
import type { Filesystem } from '../../core/vfs/filesystem.ts';
import { MemoryFilesystem } from '../../core/vfs/memory-filesystem.ts';
import { MemoryVfs } from '../../core/vfs/memory-vfs.ts';
import { NodeFilesystem } from '../../core/vfs/node-filesystem.ts';
import { NodeFsVfs } from '../../core/vfs/node-fs-vfs.ts';
import { SqliteVfs } from '../../core/vfs/sqlite-vfs.ts';
import { defaultVfs } from '../../core/vfs/default-vfs.ts';

/** One VFS under test, a fresh directory for its files, and ways to look at them. */
export interface VfsHarness {
  engine: Engine;
  vfs: SqliteVfs;
  /** The absolute path of `name` in this harness's fresh directory. */
  path(name: string): string;
  mkdir(path: string): void;
  writeFile(path: string, content: Uint8Array): void;
  readFile(path: string): Uint8Array;
  exists(path: string): boolean;
  /** The names of the files in the fresh directory, sorted. */
  list(): string[];
  /** Registers another VFS over the same files, seen through `wrap` (unregistered by cleanup). */
  wrapped(wrap: (filesystem: Filesystem) => Filesystem): SqliteVfs;
  cleanup(): void;
}

let counter = 0;

/** A harness for wasmlite's default node:fs VFS in a new directory under the OS temp dir. */
export async function nodeFsHarness(): Promise<VfsHarness> {
  const engine = await loadEngine();
  const vfs = defaultVfs(engine);
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-vfs-')));
  const extra: SqliteVfs[] = [];
  return {
    engine,
    vfs,
    path: (name) => path.join(dir, name),
    mkdir: (p) => fs.mkdirSync(p, { recursive: true }),
    writeFile: (p, content) => fs.writeFileSync(p, content),
    readFile: (p) => new Uint8Array(fs.readFileSync(p)),
    exists: (p) => fs.existsSync(p),
    list: () => fs.readdirSync(dir).sort(),
    wrapped(wrap) {
      const other = NodeFsVfs.create(engine, {
        name: `wasmlite-node-test-${process.pid}-${++counter}`,
        filesystem: wrap(new NodeFilesystem()),
      });
      extra.push(other);
      return other;
    },
    cleanup() {
      for (const other of extra) other.unregister();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A harness for a new {@link MemoryVfs}, files in `/data`. */
export async function memoryHarness(): Promise<VfsHarness> {
  const engine = await loadEngine();
  const vfs = MemoryVfs.create(engine);
  const files: MemoryFilesystem = vfs.filesystem;
  files.mkdir('/data');
  const extra: SqliteVfs[] = [];
  return {
    engine,
    vfs,
    path: (name) => `/data/${name}`,
    mkdir: (p) => files.mkdir(p),
    writeFile: (p, content) => files.writeFile(p, content),
    readFile: (p) => files.readFile(p),
    exists: (p) => files.stat(p) !== null,
    list: () =>
      files
        .files()
        .filter((f) => f.startsWith('/data/'))
        .map((f) => f.slice('/data/'.length))
        .sort(),
    wrapped(wrap) {
      const other = new SqliteVfs(engine, wrap(files), { name: `wasmlite-memory-test-${++counter}` });
      extra.push(other);
      return other;
    },
    cleanup() {
      for (const other of extra) other.unregister();
      vfs.unregister();
    },
  };
}
