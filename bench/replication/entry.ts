// The one module the replication benchmark's processes load (bundled by bench/suites/replication.mjs
// into bench/.build/replication.mjs): core and replication together, so that the replica backend
// that importing replication registers is the one core's createClient looks up (transport.ts keeps
// it in a module-level variable), plus the engine and VFS internals the capture measurement uses.
export * from '../../core/index.ts';
export * from '../../replication/index.ts';
export { loadEngine } from '../../core/sqlite3/engine.ts';
export { defaultVfs } from '../../core/vfs/index.ts';
