/**
 * Bundles a TypeScript entry point of this repository into one ESM file with esbuild, the way a
 * published build would load it (dependencies stay external), so no TypeScript loader runs inside
 * a timing.
 *
 * ```js
 * const why = await bundle('adapters/kysely/index.ts', 'bench/.build/kysely.mjs');
 * if (why) console.log(`kysely: ${why}`);
 * ```
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './repository.mjs';

/**
 * Returns why the bundle could not be built, or undefined when it was. Paths are relative to the
 * repository. With `{ splitting: true }` what the entry only imports dynamically goes to separate
 * files next to it (`<name>-chunks/`), loaded when first imported, as the published build's
 * separate modules are: `core`'s lazy import of `replication/` then costs nothing at startup.
 * With `{ engineWorker: true }` (a bundle that starts primaries) the engine worker's entry is
 * built too, at `../replication/primary-worker.js` from the outfile: put such bundles one folder
 * down in `bench/.build/` (e.g. `bench/.build/lib/`).
 */
export async function bundle(entryFromRoot, outfileFromRoot, { splitting = false, engineWorker = false } = {}) {
  const entry = path.join(ROOT, entryFromRoot);
  const outfile = path.join(ROOT, outfileFromRoot);
  const name = path.basename(outfile, path.extname(outfile));
  fs.rmSync(outfile, { force: true });
  fs.rmSync(path.join(path.dirname(outfile), `${name}-chunks`), { recursive: true, force: true });
  if (!fs.existsSync(entry)) return `not available yet (no ${entryFromRoot})`;
  try {
    const esbuild = await import('esbuild');
    /** @type {import('esbuild').BuildOptions} */
    const common = {
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
    };
    /** @type {import('esbuild').BuildOptions} */
    const output = splitting
      ? {
          splitting,
          outdir: path.dirname(outfile),
          entryNames: name,
          chunkNames: `${name}-chunks/[name]-[hash]`,
          outExtension: { '.js': path.extname(outfile) },
        }
      : { outfile };
    await esbuild.build({ ...common, ...output });
    // A primary's engine worker is a separate entry: bundled code looks for it at
    // `../replication/primary-worker.js` from itself, as in the published build (dist/).
    if (engineWorker) {
      await esbuild.build({
        ...common,
        entryPoints: [path.join(ROOT, 'replication/http/engine-worker.ts')],
        outfile: path.join(path.dirname(outfile), '..', 'replication', 'primary-worker.js'),
      });
    }
    return undefined;
  } catch (error) {
    const first = error.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    return `not available (bundling ${entryFromRoot} failed: ${where}${first?.text ?? error.message})`;
  }
}
