import { Wasm, type WasmInstance, type WasmMemory, type WasmTable } from './webassembly.ts';
import { SQLITE_OK } from './constants.ts';
import { FunctionTable, type WasmCallback } from './function-table.ts';
import type { RawExports } from './raw-exports.ts';
import { WasmEnums } from './wasm-enums.ts';
import { compileSqliteWasm } from './wasm-file.ts';
import { INITIAL_HEAP, wasmImports } from './wasm-imports.ts';

/** The largest heap a 32-bit module can address, in 64 KiB pages. */
const MAX_PAGES = 32768;

/**
 * One instance of the SQLite WebAssembly module with fast access to its memory.
 *
 * The module is instantiated once per process (per JS thread) by {@link loadEngineSync}, from
 * the `sqlite3.wasm` of `@sqlite.org/sqlite-wasm` with wasmlite's own imports (the package's
 * JavaScript is never loaded); every connection, VFS file and statement of that thread lives in
 * its memory. The heap views are refreshed lazily because the WASM memory may grow (which detaches
 * the old `ArrayBuffer`).
 *
 * @example
 * const e = loadEngineSync();
 * e.cstring(e.x.sqlite3_libversion()); // '3.54.1'
 */
export class Engine {
  /** The raw C exports: `sqlite3_step`, `sqlite3_bind_int`, … called directly on the hot path. */
  readonly x: RawExports;
  /** SQLite's version string, e.g. `3.54.1`. */
  readonly version: string;
  /** 16 bytes of heap for out-parameters (`sqlite3_stmt**`, `int*`, `sqlite3_int64*`). */
  readonly out: number;
  readonly #memory: WasmMemory;
  readonly #functions: FunctionTable;
  readonly #cstrings = new Map<string, number>();
  #enums: WasmEnums | undefined;
  #scratch = 0;
  #scratchSize = 0;
  #u8: Uint8Array;
  #buf: Buffer;
  #dv: DataView;

  /** Takes over a fresh instance of `sqlite3.wasm` whose heap is `memory`, and initializes SQLite. */
  constructor(instance: WasmInstance, memory: WasmMemory) {
    this.x = instance.exports as unknown as RawExports;
    this.#memory = memory;
    this.#functions = new FunctionTable(instance.exports.__indirect_function_table as WasmTable);
    this.#u8 = new Uint8Array(memory.buffer);
    this.#buf = Buffer.from(memory.buffer);
    this.#dv = new DataView(memory.buffer);
    this.x.__wasm_call_ctors();
    const rc = this.x.sqlite3_initialize();
    if (rc !== SQLITE_OK) throw new Error(`sqlite3_initialize() failed with result code ${rc}`);
    this.version = this.cstring(this.x.sqlite3_libversion())!;
    this.out = this.#malloc(16);
  }

  /**
   * Makes `fn` callable from C with `signature` (`'v(pip)'`: no result; a pointer, an int and a
   * pointer) and returns its function pointer. Throws a TypeError for a bad signature.
   * @example const xFunc = engine.installFunction((ctx, argc, argv) => { … }, 'v(pip)');
   */
  installFunction(fn: (...args: never[]) => unknown, signature: string): number {
    return this.#functions.install(fn, signature);
  }

  /** {@link installFunction} for several functions at once (cheaper); pointers in order. */
  installFunctions(callbacks: readonly WasmCallback[]): number[] {
    return this.#functions.installAll(callbacks);
  }

  /** Frees a function pointer from {@link installFunction}; C must not call it any more. */
  uninstallFunction(ptr: number): void {
    this.#functions.uninstall(ptr);
  }

  /** Struct layouts and result code names of this build, read on first use. */
  get enums(): WasmEnums {
    this.#enums ??= new WasmEnums(this.cstring(this.x.sqlite3__wasm_enum_json()) ?? '');
    return this.#enums;
  }

  #malloc(n: number): number {
    const ptr = this.x.sqlite3_malloc(n);
    if (ptr === 0) throw new RangeError('out of memory in the wasm heap');
    return ptr;
  }

  /**
   * A reusable heap buffer of at least `n` bytes for values that SQLite copies before the call
   * returns (bound strings and blobs use `SQLITE_TRANSIENT`). Valid until the next `scratch()`.
   */
  scratch(n: number): number {
    if (n > this.#scratchSize) {
      if (this.#scratch !== 0) this.x.sqlite3_free(this.#scratch);
      this.#scratchSize = Math.max(n, this.#scratchSize * 2, 4096);
      this.#scratch = this.#malloc(this.#scratchSize);
    }
    return this.#scratch;
  }

  /** A NUL-terminated copy of `text` that lives as long as the engine (for names like "main"). */
  cstr(text: string): number {
    let ptr = this.#cstrings.get(text);
    if (ptr === undefined) {
      ptr = this.allocCString(text);
      this.#cstrings.set(text, ptr);
    }
    return ptr;
  }

  /** The extended result code's name, e.g. `SQLITE_CONSTRAINT_UNIQUE`. */
  codeName(rc: number): string {
    return this.enums.resultCodeName(rc) ?? `SQLITE_UNKNOWN_${rc}`;
  }

  /** The WASM heap as bytes; valid until the next call that may allocate. */
  get u8(): Uint8Array {
    if (this.#u8.byteLength === 0) this.#refresh();
    return this.#u8;
  }

  /** The WASM heap as a `Buffer` (for its native utf8/latin1 codecs); same validity as {@link u8}. */
  get buf(): Buffer {
    if (this.#u8.byteLength === 0) this.#refresh();
    return this.#buf;
  }

  /**
   * The WASM heap as a little-endian `DataView`; same validity as {@link u8}. Staleness is read
   * from the `Uint8Array`: a `DataView` over a detached buffer throws on `byteLength` instead of
   * answering 0.
   */
  get dv(): DataView {
    if (this.#u8.byteLength === 0) this.#refresh();
    return this.#dv;
  }

  #refresh(): void {
    const buffer = this.#memory.buffer;
    this.#u8 = new Uint8Array(buffer);
    this.#buf = Buffer.from(buffer);
    this.#dv = new DataView(buffer);
  }

  /** Reads a NUL-terminated UTF-8 string at `ptr` (0 → `null`). */
  cstring(ptr: number): string | null {
    if (ptr === 0) return null;
    const u8 = this.u8;
    let end = ptr;
    while (u8[end] !== 0) end++;
    return this.buf.toString('utf8', ptr, end);
  }

  /** Allocates a NUL-terminated UTF-8 copy of `text` with `sqlite3_malloc`; the caller frees it. */
  allocCString(text: string): number {
    const n = Buffer.byteLength(text);
    const ptr = this.#malloc(n + 1);
    this.buf.write(text, ptr, n, 'utf8');
    this.u8[ptr + n] = 0;
    return ptr;
  }
}

let engine: Engine | undefined;

/**
 * Instantiates the SQLite WebAssembly module once per thread, synchronously, and returns the
 * shared {@link Engine} (the same one on every later call). The first call costs a few ms
 * (reading and compiling `sqlite3.wasm`). Throws an Error naming the file if `sqlite3.wasm` is
 * missing or corrupt; a later call tries again.
 *
 * @example
 * const engine = loadEngineSync();
 */
export function loadEngineSync(): Engine {
  if (engine === undefined) {
    const module = compileSqliteWasm();
    const memory = new Wasm.Memory({ initial: INITIAL_HEAP / 65536, maximum: MAX_PAGES });
    engine = new Engine(new Wasm.Instance(module, wasmImports(memory)), memory);
  }
  return engine;
}

/**
 * {@link loadEngineSync} as a promise (it rejects where that throws), for callers written when
 * loading was asynchronous.
 *
 * @example
 * const engine = await loadEngine();
 */
export async function loadEngine(): Promise<Engine> {
  return loadEngineSync();
}
