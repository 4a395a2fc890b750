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

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Returns why the bundle could not be built, or undefined when it was. Paths are relative to the repository. */
export async function bundle(entryFromRoot, outfileFromRoot) {
  const entry = path.join(ROOT, entryFromRoot);
  const outfile = path.join(ROOT, outfileFromRoot);
  fs.rmSync(outfile, { force: true });
  if (!fs.existsSync(entry)) return `not available yet (no ${entryFromRoot})`;
  try {
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'silent' });
    return undefined;
  } catch (error) {
    const first = error.errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : '';
    return `not available (bundling ${entryFromRoot} failed: ${where}${first?.text ?? error.message})`;
  }
}
