import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** What {@link useTempDir} gives a test file. */
export interface TempDir {
  /** The current test's directory (fresh for each test). */
  readonly dir: string;
  /** Registers something to close before the directory is removed; returns it. */
  track<T extends { close(): void }>(resource: T): T;
}

/** A fresh temporary directory per test; what was tracked is closed and the directory removed after it. */
export function useTempDir(): TempDir {
  let dir: string | undefined;
  const open: Array<{ close(): void }> = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-log-'));
  });
  afterEach(() => {
    for (const resource of open.splice(0).reverse()) resource.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return {
    get dir() {
      if (dir === undefined) throw new Error('useTempDir: no test is running');
      return dir;
    },
    track(resource) {
      open.push(resource);
      return resource;
    },
  };
}
