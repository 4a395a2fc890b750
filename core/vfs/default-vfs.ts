import type { Engine } from '../sqlite3/engine.ts';
import { NodeFsVfs } from './node-fs-vfs.ts';

const registered = new WeakMap<Engine, NodeFsVfs>();

/**
 * The {@link NodeFsVfs} registered under the name `"wasmlite"` for `engine`, registering it on
 * the first call. It is not SQLite's default VFS: pass its `name` to `sqlite3_open_v2`.
 * Throws only if something else registered a VFS named `"wasmlite"`.
 *
 * @example
 * const vfs = defaultVfs(await loadEngine());
 * x.sqlite3_open_v2(filename, engine.out, flags, engine.cstr(vfs.name));
 */
export function defaultVfs(engine: Engine): NodeFsVfs {
  let vfs = registered.get(engine);
  if (vfs === undefined) {
    vfs = NodeFsVfs.create(engine, { name: 'wasmlite' });
    registered.set(engine, vfs);
  }
  return vfs;
}
