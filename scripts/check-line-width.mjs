#!/usr/bin/env node
/**
 * Lists the lines of the repository's TypeScript and JavaScript files that are wider than
 * prettier's `printWidth` (120). Prettier breaks code but not comments or strings; those are
 * wrapped by hand, and this script finds the ones that were not. Exits 1 if there are any.
 *
 * ```sh
 * node scripts/check-line-width.mjs            # file:line: width, one per line
 * node scripts/check-line-width.mjs --json     # [{ "file", "line", "width" }, …] on stdout, exit 0
 * node scripts/check-line-width.mjs a.ts b.ts  # only these files
 * ```
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const MAX_WIDTH = JSON.parse(fs.readFileSync(path.join(ROOT, '.prettierrc.json'), 'utf8')).printWidth;

const args = process.argv.slice(2);
const named = args.filter((arg) => !arg.startsWith('--'));
// Tracked files and new ones not ignored: what prettier checks, less Markdown and JSON.
const files =
  named.length > 0
    ? named.map((file) => path.resolve(file))
    : execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts', '*.mjs'], {
        cwd: ROOT,
        encoding: 'utf8',
      })
        .split('\n')
        .filter((file) => file !== '' && fs.existsSync(path.join(ROOT, file)));

const wide = [];
for (const file of files) {
  const lines = fs.readFileSync(path.resolve(ROOT, file), 'utf8').split('\n');
  lines.forEach((text, index) => {
    // Code points, not UTF-16 units: `…` and `→` count once, as an editor shows them.
    const width = [...text].length;
    if (width > MAX_WIDTH) wide.push({ file, line: index + 1, width });
  });
}

if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(wide)}\n`);
} else {
  for (const { file, line, width } of wide) process.stdout.write(`${file}:${line}: ${width} characters\n`);
  if (wide.length > 0) {
    process.stderr.write(`${wide.length} lines are wider than ${MAX_WIDTH} characters: wrap them by hand\n`);
    process.exitCode = 1;
  }
}
