import type { Engine } from './engine.ts';
import { SQLITE_OK } from './constants.ts';
import type { WasmCallback } from './function-table.ts';

/**
 * The members of `sqlite3_vfs` (version 3) and `sqlite3_io_methods` (version 3) in order, with
 * their signatures as `sqlite3__wasm_enum_json` reports them. Every member is 4 bytes in wasm32
 * (an int or a pointer), so a member's offset is 4 × its index. SQLite keeps these layouts
 * stable (new members are only appended, behind `iVersion`), and a test compares them with the
 * build's own description; they are written out because asking the build costs ~6 ms at startup.
 */
export const VFS_MEMBERS: readonly (readonly [name: string, signature: string])[] = [
  ['iVersion', 'i'],
  ['szOsFile', 'i'],
  ['mxPathname', 'i'],
  ['pNext', 'p'],
  ['zName', 's'],
  ['pAppData', 'p'],
  ['xOpen', 'i(pppip)'],
  ['xDelete', 'i(ppi)'],
  ['xAccess', 'i(ppip)'],
  ['xFullPathname', 'i(ppip)'],
  ['xDlOpen', 'v(pp)'],
  ['xDlError', 'v(pip)'],
  ['xDlSym', 'p()'],
  ['xDlClose', 'v(pp)'],
  ['xRandomness', 'i(pip)'],
  ['xSleep', 'i(pi)'],
  ['xCurrentTime', 'i(pp)'],
  ['xGetLastError', 'i(pip)'],
  ['xCurrentTimeInt64', 'i(pp)'],
  ['xSetSystemCall', 'i(ppp)'],
  ['xGetSystemCall', 'p(pp)'],
  ['xNextSystemCall', 'p(pp)'],
];
/** See {@link VFS_MEMBERS}. */
export const IO_METHODS_MEMBERS: readonly (readonly [name: string, signature: string])[] = [
  ['iVersion', 'i'],
  ['xClose', 'i(p)'],
  ['xRead', 'i(ppij)'],
  ['xWrite', 'i(ppij)'],
  ['xTruncate', 'i(pj)'],
  ['xSync', 'i(pi)'],
  ['xFileSize', 'i(pp)'],
  ['xLock', 'i(pi)'],
  ['xUnlock', 'i(pi)'],
  ['xCheckReservedLock', 'i(pp)'],
  ['xFileControl', 'i(pip)'],
  ['xSectorSize', 'i(p)'],
  ['xDeviceCharacteristics', 'i(p)'],
  ['xShmMap', 'i(piiip)'],
  ['xShmLock', 'i(piii)'],
  ['xShmBarrier', 'v(p)'],
  ['xShmUnmap', 'i(pi)'],
  ['xFetch', 'i(pjip)'],
  ['xUnfetch', 'i(pjp)'],
];
/** `sizeof(sqlite3_file)`: only the methods pointer (wasmlite keeps its file state in JS). */
const SQLITE3_FILE_SIZE = 4;
const MEMBER_SIZE = 4;

/** JS implementations of C methods, by member name (`xOpen`, `xRead`, …). */
export type CMethods = Record<string, (...args: never[]) => unknown>;

/** What {@link registerVfs} needs: the `sqlite3_vfs` fields and both method tables. */
export interface VfsDefinition {
  /** The name `sqlite3_open_v2` is given. */
  name: string;
  /** `sqlite3_vfs.iVersion` (2: WAL shared memory, `xCurrentTimeInt64`). */
  iVersion: number;
  /** `sqlite3_vfs.mxPathname`: the longest full path the VFS produces. */
  mxPathname: number;
  /** `sqlite3_vfs` methods; absent ones stay NULL. */
  methods: CMethods;
  /** `sqlite3_io_methods.iVersion`. */
  ioVersion: number;
  /** `sqlite3_io_methods` methods; absent ones stay NULL. */
  ioMethods: CMethods;
}

/** A VFS registered with SQLite by {@link registerVfs}. */
export interface RegisteredVfs {
  /** The `sqlite3_vfs*`. */
  readonly pointer: number;
  /** The `sqlite3_io_methods*` an `xOpen` stores in the `sqlite3_file` it opens. */
  readonly ioMethods: number;
  /** Unregisters the VFS and frees its structs and function pointers. */
  unregister(): void;
}

/**
 * The `sqlite3_vfs*` registered as `name`, or 0 if there is none.
 * @example if (findVfs(engine, 'wasmlite-node') !== 0) …
 */
export function findVfs(engine: Engine, name: string): number {
  const text = engine.allocCString(name);
  try {
    return engine.x.sqlite3_vfs_find(text);
  } finally {
    engine.x.sqlite3_free(text);
  }
}

/**
 * Builds an `sqlite3_vfs` and its `sqlite3_io_methods` in the heap (layouts:
 * {@link VFS_MEMBERS}) and registers it with SQLite (never as the default VFS). Files are plain
 * `sqlite3_file`s (a methods pointer). The methods must not throw (SQLite cannot unwind a JS
 * exception). Throws a TypeError for a method the structs do not have, or an Error if SQLite
 * refuses the registration.
 *
 * @example
 * const vfs = registerVfs(engine, { name: 'mem1', iVersion: 2, mxPathname: 1024, methods, ioVersion: 2, ioMethods });
 * // sqlite3_open_v2(name, pp, flags, 'mem1') …
 * vfs.unregister();
 */
export function registerVfs(engine: Engine, definition: VfsDefinition): RegisteredVfs {
  const callbacks: WasmCallback[] = [];
  const targets: number[] = [];
  const vfs = allocZeroed(engine, VFS_MEMBERS.length * MEMBER_SIZE);
  const io = allocZeroed(engine, IO_METHODS_MEMBERS.length * MEMBER_SIZE);
  const name = engine.allocCString(definition.name);
  const functions: number[] = [];
  try {
    collect('sqlite3_vfs', VFS_MEMBERS, vfs, definition.methods, callbacks, targets);
    collect('sqlite3_io_methods', IO_METHODS_MEMBERS, io, definition.ioMethods, callbacks, targets);
    functions.push(...engine.installFunctions(callbacks));
    const dv = engine.dv;
    functions.forEach((ptr, i) => dv.setUint32(targets[i]!, ptr, true));
    const field = (members: typeof VFS_MEMBERS, member: string) =>
      members.findIndex(([m]) => m === member) * MEMBER_SIZE;
    dv.setInt32(vfs + field(VFS_MEMBERS, 'iVersion'), definition.iVersion, true);
    dv.setInt32(vfs + field(VFS_MEMBERS, 'szOsFile'), SQLITE3_FILE_SIZE, true);
    dv.setInt32(vfs + field(VFS_MEMBERS, 'mxPathname'), definition.mxPathname, true);
    dv.setUint32(vfs + field(VFS_MEMBERS, 'zName'), name, true);
    dv.setInt32(io + field(IO_METHODS_MEMBERS, 'iVersion'), definition.ioVersion, true);
    const rc = engine.x.sqlite3_vfs_register(vfs, 0);
    if (rc !== SQLITE_OK)
      throw new Error(`sqlite3_vfs_register(${definition.name}) failed with ${engine.codeName(rc)}`);
  } catch (error) {
    release(engine, functions, [vfs, io, name]);
    throw error;
  }
  let registered = true;
  return {
    pointer: vfs,
    ioMethods: io,
    unregister() {
      if (!registered) return;
      registered = false;
      engine.x.sqlite3_vfs_unregister(vfs);
      release(engine, functions, [vfs, io, name]);
    },
  };
}

function collect(
  struct: string,
  members: typeof VFS_MEMBERS,
  ptr: number,
  methods: CMethods,
  callbacks: WasmCallback[],
  targets: number[],
): void {
  for (const [member, fn] of Object.entries(methods)) {
    const index = members.findIndex(([m, signature]) => m === member && signature.includes('('));
    if (index < 0) throw new TypeError(`${struct} has no method ${member}`);
    callbacks.push([fn, members[index]![1]]);
    targets.push(ptr + index * MEMBER_SIZE);
  }
}

function allocZeroed(engine: Engine, size: number): number {
  const ptr = engine.x.sqlite3_malloc(size);
  if (ptr === 0) throw new RangeError('out of memory in the wasm heap');
  engine.u8.fill(0, ptr, ptr + size);
  return ptr;
}

function release(engine: Engine, functions: number[], pointers: number[]): void {
  for (const ptr of functions) engine.uninstallFunction(ptr);
  for (const ptr of pointers) engine.x.sqlite3_free(ptr);
}
