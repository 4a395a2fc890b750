import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Wasm, type WasmModule } from './webassembly.ts';

/** The SQLite build wasmlite runs, as the `@sqlite.org/sqlite-wasm` package exports it. */
const SPECIFIER = '@sqlite.org/sqlite-wasm/sqlite3.wasm';

/**
 * Where `sqlite3.wasm` of the installed `@sqlite.org/sqlite-wasm` is: resolved like an import
 * from this file (`import.meta.resolve` where the runtime has it: Node ≥ 20.6, Bun, Deno),
 * else through `require.resolve`, both by the package's exports map.
 */
export function sqliteWasmPath(): string {
  const resolveImport = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolveImport === 'function') {
    try {
      const url = resolveImport(SPECIFIER);
      if (url.startsWith('file:')) return fileURLToPath(url);
    } catch {
      // Some loaders (test runners' module graphs) lack it or resolve differently: try require.
    }
  }
  return createRequire(import.meta.url).resolve(SPECIFIER);
}

/**
 * Reads and compiles `sqlite3.wasm`, synchronously. Throws an Error naming the file and the
 * package to reinstall when the file is missing, unreadable or not a WebAssembly module (the
 * underlying error is its `cause`).
 *
 * @example
 * const module = compileSqliteWasm(); // a WebAssembly.Module, ~5 ms
 */
export function compileSqliteWasm(path?: string): WasmModule {
  let file = path;
  let bytes: Uint8Array;
  try {
    file ??= sqliteWasmPath();
    bytes = readFileSync(file);
  } catch (cause) {
    throw new Error(`cannot read the SQLite WebAssembly module ${file ?? SPECIFIER} (is @sqlite.org/sqlite-wasm installed?)`, { cause });
  }
  try {
    return new Wasm.Module(bytes);
  } catch (cause) {
    throw new Error(`${file} is not a valid WebAssembly module (reinstall @sqlite.org/sqlite-wasm)`, { cause });
  }
}
