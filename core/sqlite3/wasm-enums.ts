/** One member of a C struct: its byte offset, size and, for a function pointer, its signature. */
export interface StructMember {
  offset: number;
  sizeof: number;
  /** `i`, `p`, `j`… for values; `result(params)` such as `i(pij)` for function pointers. */
  signature: string;
}

/** A C struct's size and members, as the wasm build was compiled. */
export interface StructLayout {
  name: string;
  sizeof: number;
  members: Record<string, StructMember>;
}

interface EnumJson {
  resultCodes: Record<string, number>;
  structs: StructLayout[];
}

/**
 * What the wasm build reports about itself through `sqlite3__wasm_enum_json()`: the layouts of the
 * C structs wasmlite fills in (`sqlite3_vfs`, `sqlite3_io_methods`, `sqlite3_file`) and the names
 * of the result codes. Read once, when first needed (not on the cold-start path of `:memory:`).
 *
 * @example
 * const enums = new WasmEnums(json);
 * enums.struct('sqlite3_vfs').members.xOpen; // { offset: 24, sizeof: 4, signature: 'i(pppip)' }
 * enums.resultCodeName(2067);                // 'SQLITE_CONSTRAINT_UNIQUE'
 */
export class WasmEnums {
  readonly #structs = new Map<string, StructLayout>();
  readonly #codeNames = new Map<number, string>();

  /** `json` is the text `sqlite3__wasm_enum_json()` returns. */
  constructor(json: string) {
    const parsed = JSON.parse(json) as EnumJson;
    for (const layout of parsed.structs) this.#structs.set(layout.name, layout);
    for (const [name, code] of Object.entries(parsed.resultCodes)) this.#codeNames.set(code, name);
  }

  /** The layout of the C struct `name`; throws if the build does not describe it. */
  struct(name: string): StructLayout {
    const layout = this.#structs.get(name);
    if (layout === undefined) throw new Error(`the SQLite wasm build does not describe struct ${name}`);
    return layout;
  }

  /** The name of a (possibly extended) result code, e.g. `SQLITE_BUSY_SNAPSHOT`; undefined if unknown. */
  resultCodeName(rc: number): string | undefined {
    return this.#codeNames.get(rc);
  }
}
