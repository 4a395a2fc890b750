/**
 * A fresh temporary directory for one measurement, removed with everything in it afterwards.
 *
 * ```js
 * const result = await withTempDir('kysely', (dir) => runChild({ dir }));
 * ```
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Runs `fn` with a new directory `wasmlite-bench-<name>-XXXXXX` in the OS temp dir and removes
 * the directory once `fn` has settled, whether it succeeded or not.
 * @template T
 * @param {string} name
 * @param {(dir: string) => T | Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withTempDir(name, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wasmlite-bench-${name}-`));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
