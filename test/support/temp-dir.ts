import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

interface Closable {
  close(): unknown;
}

/** What {@link useTempDir} gives a test file. */
export interface TempDir {
  /** The current test's directory (fresh for each test). */
  readonly dir: string;
  /** A path inside the current test's directory. */
  file(name?: string): string;
  /** Registers something to close before the directory is removed; returns it. */
  track<T extends Closable>(resource: T): T;
}

/**
 * Gives every test of the calling file a fresh `wasmlite-*` directory under the OS temp dir, and
 * after each test closes what was tracked (databases, clients) and removes the directory.
 */
export function useTempDir(): TempDir {
  let dir: string | undefined;
  const open: Closable[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-'));
  });
  afterEach(() => {
    for (const resource of open.splice(0).reverse()) {
      try {
        resource.close();
      } catch {
        // A test may close a resource in a state where a second close fails; cleanup goes on.
      }
    }
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return {
    get dir() {
      if (dir === undefined) throw new Error('useTempDir: no test is running');
      return dir;
    },
    file(name = 'test.db') {
      return path.join(this.dir, name);
    },
    track(resource) {
      open.push(resource);
      return resource;
    },
  };
}
