// The one module the replication benchmark's processes load (bundled by bench/suites/replication.mjs
// into bench/.build/lib/replication.mjs): core and replication together, plus the engine and VFS
// internals the capture measurement uses.
export * from '../../core/index.ts';
export * from '../../replication/index.ts';
export { loadEngine } from '../../core/sqlite3/engine.ts';
export { defaultVfs } from '../../core/vfs/index.ts';
