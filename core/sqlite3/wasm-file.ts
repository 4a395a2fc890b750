import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Wasm, type WasmModule } from './webassembly.ts';

/** The SQLite build wasmlite runs, as the `@sqlite.org/sqlite-wasm` package exports it. */
const PACKAGE = '@sqlite.org/sqlite-wasm';
const EXPORT = 'sqlite3.wasm';
/** Where the package's exports map puts `./sqlite3.wasm`. */
const FILE_IN_PACKAGE = 'dist/sqlite3.wasm';

/**
 * Where `sqlite3.wasm` of the installed `@sqlite.org/sqlite-wasm` is. First the way Node finds a
 * package, cheaply: the nearest `node_modules/@sqlite.org/sqlite-wasm` above this file (npm, pnpm
 * and Bun layouts, bundles); resolving through the loader (`import.meta.resolve`, else
 * `require.resolve`, by the package's exports map) costs ~2 ms of the cold start and is the
 * fallback, for runtimes without such a folder (Deno's npm cache).
 *
 * @example
 * sqliteWasmPath(); // '/app/node_modules/@sqlite.org/sqlite-wasm/dist/sqlite3.wasm'
 */
export function sqliteWasmPath(): string {
  return nearestSqliteWasm() ?? resolveSqliteWasm();
}

/**
 * `sqlite3.wasm` in the nearest `node_modules/@sqlite.org/sqlite-wasm` above this file, if any.
 * @example nearestSqliteWasm() ?? resolveSqliteWasm()
 */
export function nearestSqliteWasm(): string | undefined {
  try {
    for (let dir = new URL('.', import.meta.url); ;) {
      const candidate = new URL(`node_modules/${PACKAGE}/${FILE_IN_PACKAGE}`, dir);
      if (existsSync(candidate)) return fileURLToPath(candidate);
      const parent = new URL('..', dir);
      if (parent.href === dir.href) return undefined;
      dir = parent;
    }
  } catch {
    return undefined; // not a file: URL (a bundle loaded from elsewhere)
  }
}

/**
 * `sqlite3.wasm` as the module loader resolves `@sqlite.org/sqlite-wasm/sqlite3.wasm` (throws if
 * it cannot).
 * @example resolveSqliteWasm(); // '/app/node_modules/@sqlite.org/sqlite-wasm/dist/sqlite3.wasm'
 */
export function resolveSqliteWasm(): string {
  const resolveImport = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolveImport === 'function') {
    try {
      const url = resolveImport(`${PACKAGE}/${EXPORT}`);
      if (url.startsWith('file:')) return fileURLToPath(url);
    } catch {
      // Some loaders (test runners' module graphs) lack it or resolve differently: try require.
    }
  }
  return createRequire(import.meta.url).resolve(`${PACKAGE}/${EXPORT}`);
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
    throw new Error(
      `cannot read the SQLite WebAssembly module ${file ?? `${PACKAGE}/${EXPORT}`} (is ${PACKAGE} installed?)`,
      { cause },
    );
  }
  try {
    return new Wasm.Module(bytes);
  } catch (cause) {
    throw new Error(`${file} is not a valid WebAssembly module (reinstall ${PACKAGE})`, { cause });
  }
}
