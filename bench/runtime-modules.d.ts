// The built-in SQLite modules of the runtimes the peer drivers run on (Node 24, Bun), declared as
// far as bench/drivers uses them: the benchmarks themselves type-check against Node 20's types.

declare module 'node:sqlite' {
  export class DatabaseSync {
    constructor(file: string);
    exec(sql: string): void;
    prepare(sql: string): {
      get(...params: unknown[]): Record<string, unknown> | undefined;
      all(...params: unknown[]): Record<string, unknown>[];
      run(...params: unknown[]): unknown;
    };
    close(): void;
  }
}

declare module 'bun:sqlite' {
  export class Database {
    constructor(file: string);
    exec(sql: string): void;
    prepare(sql: string): {
      get(...params: unknown[]): Record<string, unknown> | null;
      all(...params: unknown[]): Record<string, unknown>[];
      run(...params: unknown[]): unknown;
    };
    transaction(fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown;
    close(): void;
  }
}
