import { Wasm, type WasmModule, type WasmTable } from './webassembly.ts';

/** WebAssembly value type codes, by the signature letters SQLite's wasm build uses. */
const VALUE_TYPES: Record<string, number> = { i: 0x7f, p: 0x7f, P: 0x7f, s: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c };
const SIGNATURE = /^([vipPsjfd])\(([ipPsjfd]*)\)$/;
/** Import names of the generated modules: `e.<i>` the functions, `e.t` the table, `e.b` the first slot. */
const IMPORTS = 'e';
const TABLE = 't';
const BASE = 'b';

/** A JS function and the C signature it is called with, e.g. `'i(pij)'`. */
export type WasmCallback = readonly [fn: (...args: never[]) => unknown, signature: string];

/**
 * The module's indirect function table, where C function pointers point: JS functions installed
 * here become pointers SQLite can call (user functions, VFS methods).
 *
 * Node 20 has no `WebAssembly.Function`, and a table only holds WebAssembly functions, so JS
 * functions get their WebAssembly type from a tiny generated module: it imports them with their
 * types, imports the table and a base slot, and an element segment writes them into consecutive
 * slots from the base when it is instantiated. It has no code and exports nothing (exports would
 * cost a JS-to-wasm wrapper per signature, compiled for nothing). One module serves a whole batch
 * (a VFS's methods) and is cached by its signatures, so installing the same signatures again is
 * one instantiation.
 *
 * Signatures are the `result(params)` strings of `sqlite3__wasm_enum_json`: `i` int, `p`/`s` a
 * pointer, `j` a 64-bit integer (a bigint in JS), `f`/`d` floats, `v` no result.
 *
 * @example
 * const ptr = table.install((ctx, argc, argv) => { … }, 'v(pip)');
 * // … hand ptr to sqlite3_create_function_v2 …
 * table.uninstall(ptr);
 */
export class FunctionTable {
  readonly #table: WasmTable;
  /** Freed single slots, reused by single installs. */
  readonly #free: number[] = [];
  readonly #modules = new Map<string, WasmModule>();

  constructor(table: WasmTable) {
    this.#table = table;
  }

  /** Installs `fn`, called from C with `signature`; returns its function pointer. */
  install(fn: (...args: never[]) => unknown, signature: string): number {
    return this.installAll([[fn, signature]])[0]!;
  }

  /**
   * Installs every callback of `callbacks` at once (one wrapper module, consecutive slots);
   * returns their pointers in order. Throws a TypeError for an invalid signature, before anything
   * is installed.
   */
  installAll(callbacks: readonly WasmCallback[]): number[] {
    const signatures = callbacks.map(([fn, signature]) => {
      if (typeof fn !== 'function') throw new TypeError('Expected a function to install');
      if (!SIGNATURE.test(signature)) throw new TypeError(`Invalid function signature "${signature}"`);
      return signature;
    });
    if (callbacks.length === 0) return [];
    const key = signatures.join(',');
    let module = this.#modules.get(key);
    if (module === undefined) {
      module = new Wasm.Module(trampolineModule(signatures));
      this.#modules.set(key, module);
    }
    const reused = callbacks.length === 1 ? this.#free.pop() : undefined;
    const base = reused ?? this.#table.grow(callbacks.length);
    const imports: Record<string, unknown> = { [TABLE]: this.#table, [BASE]: base };
    callbacks.forEach(([fn], i) => (imports[i] = fn));
    try {
      new Wasm.Instance(module, { [IMPORTS]: imports });
    } catch (error) {
      for (let i = 0; i < callbacks.length; i++) this.#free.push(base + i);
      throw error;
    }
    return callbacks.map((_, i) => base + i);
  }

  /** Frees the table slot of a pointer from {@link install}; SQLite must no longer call it. */
  uninstall(ptr: number): void {
    if (this.#table.get(ptr) === null) return;
    this.#table.set(ptr, null);
    this.#free.push(ptr);
  }
}

/**
 * The bytes of a module that imports `e.<i>` with the type of `signatures[i]`, the table `e.t`
 * and the slot `e.b`, and writes the functions into the table from that slot on. Built with plain
 * pushes: it runs on the cold-start path (the default VFS's methods).
 */
function trampolineModule(signatures: readonly string[]): Uint8Array {
  const types: string[] = [];
  const typeIndex = signatures.map((signature) => {
    let index = types.indexOf(signature);
    if (index < 0) index = types.push(signature) - 1;
    return index;
  });
  const typeSection: number[] = [];
  uleb(typeSection, types.length);
  for (const signature of types) {
    const [, result, params] = SIGNATURE.exec(signature)!;
    typeSection.push(0x60);
    uleb(typeSection, params!.length);
    for (const letter of params!) typeSection.push(VALUE_TYPES[letter]!);
    if (result === 'v') typeSection.push(0);
    else typeSection.push(1, VALUE_TYPES[result!]!);
  }
  const importSection: number[] = [];
  uleb(importSection, signatures.length + 2);
  for (let i = 0; i < signatures.length; i++) {
    name(importSection, IMPORTS);
    name(importSection, String(i));
    importSection.push(0x00); // a function
    uleb(importSection, typeIndex[i]!);
  }
  name(importSection, IMPORTS);
  name(importSection, TABLE);
  importSection.push(0x01, 0x70, 0x00, 0x00); // a table of funcref, at least 0 slots
  name(importSection, IMPORTS);
  name(importSection, BASE);
  importSection.push(0x03, 0x7f, 0x00); // an immutable i32 global
  const elementSection: number[] = [];
  uleb(elementSection, 1);
  elementSection.push(0x00, 0x23, 0x00, 0x0b); // active, table 0, at (global.get 0)
  uleb(elementSection, signatures.length);
  for (let i = 0; i < signatures.length; i++) uleb(elementSection, i);
  const bytes = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(bytes, 1, typeSection);
  section(bytes, 2, importSection);
  section(bytes, 9, elementSection);
  return new Uint8Array(bytes);
}

function uleb(out: number[], n: number): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

/** A name of ASCII characters (the only ones used here). */
function name(out: number[], text: string): void {
  uleb(out, text.length);
  for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id);
  uleb(out, content.length);
  for (const byte of content) out.push(byte);
}
