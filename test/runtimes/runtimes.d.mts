// Types of runtimes.mjs (plain JavaScript, shared with bench/run.mjs), for the TypeScript tests.

/** A runtime the tests and benchmarks run wasmlite on besides the main Node. */
export interface RuntimeSpec {
  /** `node22`, `node24`, `bun` or `deno`. */
  readonly name: string;
  /** For messages: `Node 22`. */
  readonly label: string;
  /** The binary's path, if installed. */
  locate(): string | undefined;
  /** Arguments before a script path to run this repository's TypeScript. */
  readonly typescript: readonly string[];
  /** Arguments before a script path to run plain JavaScript. */
  readonly javascript: readonly string[];
}

/** Where the runtimes' own project keeps its packages. */
export declare const INSTALL_DIR: string;
/** The command that installs them (from the repository root). */
export declare const INSTALL_COMMAND: string;
/** Node 22, Node 24, Bun and Deno, in that order. */
export declare const RUNTIMES: readonly RuntimeSpec[];
/** A runtime and its binary, or undefined when it is not installed (or unknown). */
export declare function findRuntime(name: string): (RuntimeSpec & { readonly binary: string }) | undefined;
