import { Wasm, type WasmModule, type WasmTable } from './webassembly.ts';

/** WebAssembly value type codes, by the signature letters SQLite's wasm build uses. */
const VALUE_TYPES: Record<string, number> = { i: 0x7f, p: 0x7f, P: 0x7f, s: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c };
const SIGNATURE = /^([vipPsjfd])\(([ipPsjfd]*)\)$/;
const TRAMPOLINE_MODULE = 'e';

/** A JS function and the C signature it is called with, e.g. `'i(pij)'`. */
export type WasmCallback = readonly [fn: (...args: never[]) => unknown, signature: string];

/**
 * The module's indirect function table, where C function pointers point: JS functions installed
 * here become pointers SQLite can call (user functions, VFS methods).
 *
 * Node 20 has no `WebAssembly.Function`, and a table only holds WebAssembly functions, so each
 * JS function is wrapped by a tiny generated module that imports it with its WebAssembly type and
 * exports it again. One module wraps a whole batch (a VFS's methods), and modules are cached by
 * their signatures, so the usual cost is one instantiation without compilation.
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
   * Installs every callback of `callbacks` at once (one wrapper module); returns their pointers in
   * order. Throws a TypeError for an invalid signature, before anything is installed.
   */
  installAll(callbacks: readonly WasmCallback[]): number[] {
    const signatures = callbacks.map(([fn, signature]) => {
      if (typeof fn !== 'function') throw new TypeError('Expected a function to install');
      if (!SIGNATURE.test(signature)) throw new TypeError(`Invalid function signature "${signature}"`);
      return signature;
    });
    const key = signatures.join(',');
    let module = this.#modules.get(key);
    if (module === undefined) {
      module = new Wasm.Module(trampolineModule(signatures));
      this.#modules.set(key, module);
    }
    const imports: Record<string, (...args: never[]) => unknown> = {};
    callbacks.forEach(([fn], i) => (imports[i] = fn));
    const exports = new Wasm.Instance(module, { [TRAMPOLINE_MODULE]: imports }).exports;
    return callbacks.map((_, i) => {
      const ptr = this.#slot();
      this.#table.set(ptr, exports[i] as () => unknown);
      return ptr;
    });
  }

  /** Frees the table slot of a pointer from {@link install}; SQLite must no longer call it. */
  uninstall(ptr: number): void {
    if (this.#table.get(ptr) === null) return;
    this.#table.set(ptr, null);
    this.#free.push(ptr);
  }

  #slot(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    return this.#table.grow(1);
  }
}

/**
 * The bytes of a module that imports `e.<i>` with the type of `signatures[i]` and exports it as
 * `<i>`: no code of its own, only the types that make a JS function a WebAssembly one.
 */
function trampolineModule(signatures: readonly string[]): Uint8Array {
  const types: string[] = [];
  const typeIndex = signatures.map((signature) => {
    let index = types.indexOf(signature);
    if (index < 0) index = types.push(signature) - 1;
    return index;
  });
  const typeSection = vector(types.map((signature) => {
    const [, result, params] = SIGNATURE.exec(signature)!;
    const results = result === 'v' ? [] : [VALUE_TYPES[result!]!];
    return [0x60, ...vector([...params!].map((letter) => [VALUE_TYPES[letter]!])), ...vector(results.map((t) => [t]))];
  }));
  const importSection = vector(signatures.map((_, i) => [...name(TRAMPOLINE_MODULE), ...name(String(i)), 0x00, ...uleb(typeIndex[i]!)]));
  const exportSection = vector(signatures.map((_, i) => [...name(String(i)), 0x00, ...uleb(i)]));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, typeSection),
    ...section(2, importSection),
    ...section(7, exportSection),
  ]);
}

function uleb(n: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (n !== 0);
  return bytes;
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}
