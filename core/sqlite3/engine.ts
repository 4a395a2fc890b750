import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import type { RawExports } from './raw-exports.ts';

/**
 * The part of the `@sqlite.org/sqlite-wasm` module object that wasmlite uses. Declared here so
 * that nothing else depends on the package's own (large) typings.
 */
export interface Sqlite3Module {
  wasm: {
    exports: RawExports;
    memory: { readonly buffer: ArrayBuffer };
    installFunction(fn: (...args: never[]) => unknown, signature: string): number;
    uninstallFunction(ptr: number): void;
    heap8u(): Uint8Array;
    poke32(ptr: number, value: number): void;
    poke64(ptr: number, value: bigint): void;
    peek32(ptr: number): number;
    cstrToJs(ptr: number): string;
  };
  capi: Record<string, any>;
  vfs: { installVfs(options: Record<string, unknown>): unknown };
  version: { libVersion: string };
}

/**
 * One instance of the SQLite WebAssembly module with fast access to its memory.
 *
 * The module is instantiated once per process (per JS thread) by {@link loadEngine}; every
 * connection, VFS file and statement of that thread lives in its memory. The heap views are
 * refreshed lazily because the WASM memory may grow (which detaches the old `ArrayBuffer`).
 */
export class Engine {
  /** The raw C exports: `sqlite3_step`, `sqlite3_bind_int`, … called directly on the hot path. */
  readonly x: RawExports;
  /** The module object, for the rarely used helpers (struct binder, function table). */
  readonly module: Sqlite3Module;
  /** SQLite's version string, e.g. `3.54.1`. */
  readonly version: string;
  /** 16 bytes of heap for out-parameters (`sqlite3_stmt**`, `int*`, `sqlite3_int64*`). */
  readonly out: number;
  readonly #memory: { readonly buffer: ArrayBuffer };
  readonly #cstrings = new Map<string, number>();
  #scratch = 0;
  #scratchSize = 0;
  #u8: Uint8Array;
  #buf: Buffer;
  #dv: DataView;

  constructor(module: Sqlite3Module) {
    this.module = module;
    this.x = module.wasm.exports;
    this.version = module.version.libVersion;
    this.#memory = module.wasm.memory;
    this.#u8 = new Uint8Array(this.#memory.buffer);
    this.#buf = Buffer.from(this.#memory.buffer);
    this.#dv = new DataView(this.#memory.buffer);
    this.out = this.#malloc(16);
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
    return (this.module.capi.sqlite3_js_rc_str(rc) as string | undefined) ?? `SQLITE_UNKNOWN_${rc}`;
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

let loading: Promise<Engine> | undefined;

/** Instantiates the SQLite WebAssembly module once per thread and returns the shared {@link Engine}. */
export function loadEngine(): Promise<Engine> {
  loading ??= (async () => {
    const init = sqlite3InitModule as unknown as (options: object) => Promise<Sqlite3Module>;
    return new Engine(await init({ print: () => {}, printErr: () => {} }));
  })();
  return loading;
}
