/**
 * The part of the WebAssembly JavaScript API that wasmlite uses, typed here because the
 * TypeScript libraries this package compiles against (ES2023 and Node's) do not declare it.
 */

/** A compiled module (`WebAssembly.Module`). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A module's memory (`WebAssembly.Memory`): its heap. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Adds `pages` of 64 KiB; throws a RangeError past the maximum. */
  grow(pages: number): number;
}

/** A table of function references (`WebAssembly.Table`): where C function pointers point. */
export interface WasmTable {
  readonly length: number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
  /** Adds `n` empty slots and returns the previous length. */
  grow(n: number): number;
}

/** An instance's exports by name. */
export type WasmExports = Record<string, unknown>;

/** An instantiated module (`WebAssembly.Instance`). */
export interface WasmInstance {
  readonly exports: WasmExports;
}

/** What `new WebAssembly.Instance(module, imports)` takes: functions and memories by module and name. */
export type WasmImports = Record<string, Record<string, unknown>>;

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports?: WasmImports) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

/**
 * The runtime's `WebAssembly` namespace, typed as above.
 * @example const module = new Wasm.Module(bytes);
 */
export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
