#!/usr/bin/env node
/**
 * Builds the published package (`npm run build`): every subpath export and the `bin` CLI bundled
 * by esbuild with code splitting, then the `.d.ts` files by tsc. One file per entry point plus
 * shared chunks, not one file per module: Node's ESM loader resolves and reads every file a
 * program imports, which cost the tsc-emitted build (61 files for `wasmlite`) ~25 ms of cold
 * start over the bench's bundle (BENCHMARKS.md, cold start). Splitting keeps code two entry
 * points share (the engine, core) in ONE chunk, so `wasmlite` and `wasmlite/replication` share
 * one engine per thread, and keeps what is only imported dynamically (core's lazy load of
 * replication, the CLI's Prisma commands) out of startup.
 *
 * ```sh
 * node scripts/build.mjs                # dist/, as package.json's exports map expects
 * node scripts/build.mjs /tmp/out       # elsewhere (test/package/build.test.ts)
 * node scripts/build.mjs /tmp/out --no-types
 * ```
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The folder the exports map points into; an entry's output path below it mirrors its source. */
const PUBLISHED_DIR = './dist/';

const args = process.argv.slice(2);
const outdir = path.resolve(ROOT, args.find((arg) => !arg.startsWith('--')) ?? 'dist');
const withTypes = !args.includes('--no-types');

if (ROOT.startsWith(outdir)) throw new Error(`refusing to build into ${outdir}: it would be emptied first`);
// Emptied first: a file of an older build left behind would still be published.
fs.rmSync(outdir, { recursive: true, force: true });

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const entryPoints = publishedFiles(manifest).map((file) => {
  // './dist/core/index.js' is built from 'core/index.ts' into '<outdir>/core/index.js'.
  if (!file.startsWith(PUBLISHED_DIR) || !file.endsWith('.js'))
    throw new Error(`package.json names ${file}, not a ${PUBLISHED_DIR}*.js file`);
  const out = file.slice(PUBLISHED_DIR.length, -'.js'.length);
  if (!fs.existsSync(path.join(ROOT, `${out}.ts`)))
    throw new Error(`package.json names ${file}, but there is no ${out}.ts`);
  return { in: path.join(ROOT, `${out}.ts`), out };
});
// Not exported: the primary's engine worker, which `EngineThread` starts from `replication/primary-worker.js`.
entryPoints.push({ in: path.join(ROOT, 'replication/http/engine-worker.ts'), out: 'replication/primary-worker' });

await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external', // dependencies and peers are imported from node_modules, as installed
  sourcemap: true,
  logLevel: 'warning',
});
dropEmptyChunks(path.join(outdir, 'chunks'));
// esbuild keeps the CLI's shebang; npm marks bins executable on install, a local build should too.
for (const file of Object.values(binEntries(manifest)))
  fs.chmodSync(path.join(outdir, file.slice(PUBLISHED_DIR.length)), 0o755);

if (withTypes) {
  // typescript's exports map hides bin/, so find tsc through its package.json's `bin`.
  const typescript = createRequire(import.meta.url).resolve('typescript/package.json');
  const tsc = path.join(path.dirname(typescript), JSON.parse(fs.readFileSync(typescript, 'utf8')).bin.tsc);
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outdir], {
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error(`tsc (declarations) failed with status ${run.status ?? run.signal}`);
}

/** The `.js` files package.json publishes: each export's `default` condition, and the bins. */
function publishedFiles(manifest) {
  const exported = Object.values(manifest.exports).flatMap((target) =>
    typeof target === 'object' ? [target.default] : [],
  );
  return [...new Set([...exported, ...Object.values(binEntries(manifest))])];
}

/** package.json's `bin`, which may be one path (named after the package) or a map. */
function binEntries(manifest) {
  return typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
}

/**
 * esbuild leaves an empty chunk for code that several entry points share but that holds nothing
 * at runtime (type-only and re-export modules), and imports it anyway (evanw/esbuild#1747): one
 * more file for Node's loader to resolve and read at startup, for nothing. Deletes those chunks
 * and blanks the bare imports of them (a blank line, so the source maps' line numbers still hold).
 */
function dropEmptyChunks(chunksDir) {
  const isEmpty = (file) =>
    fs
      .readFileSync(file, 'utf8')
      .replace(/^\/\/# sourceMappingURL=.*$/m, '')
      .trim() === '';
  const empty = new Set(
    fs.readdirSync(chunksDir).filter((name) => name.endsWith('.js') && isEmpty(path.join(chunksDir, name))),
  );
  if (empty.size === 0) return;
  const bareImport = /^import "[./]*(?:chunks\/)?([^"/]+\.js)";$/gm; // from an entry or a chunk
  for (const file of fs.readdirSync(outdir, { recursive: true }).filter((name) => name.endsWith('.js'))) {
    const source = fs.readFileSync(path.join(outdir, file), 'utf8');
    const kept = source.replace(bareImport, (line, name) => (empty.has(name) ? '' : line));
    if (kept !== source) fs.writeFileSync(path.join(outdir, file), kept);
  }
  for (const name of empty)
    for (const suffix of ['', '.map']) fs.rmSync(path.join(chunksDir, name + suffix), { force: true });
}
