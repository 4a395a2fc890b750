/**
 * Where the benchmarks run from: the repository's root, the installed version of a package, and
 * the commit of the code under test.
 *
 * ```js
 * packageVersion('kysely'); // '0.29.9'
 * commitOf(ROOT);           // '4906af7+changes'
 * ```
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository's root directory. */
export const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * The version of an installed package (from its package.json in the root's node_modules).
 * @param {string} pkg
 * @returns {string}
 */
export function packageVersion(pkg) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

/**
 * The repository's commit, marked `+changes` when core/ differs from it.
 * @param {string} dir
 */
export function commitOf(dir) {
  /** @param {string[]} argv */
  const git = (...argv) => execFileSync('git', argv, { cwd: dir, encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'core') ? '+changes' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}
