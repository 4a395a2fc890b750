import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD = path.join(ROOT, 'scripts/build.mjs');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** What `import 'wasmlite'` loads at startup: the entry and the chunks it imports, not 60 modules. */
const MAX_STARTUP_FILES = 8;

/** The relative specifiers of a built file's static imports and re-exports (either quote style). */
function staticImports(source: string): string[] {
  const pattern = /^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+)["']/gm;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

/** The specifiers of a built file's dynamic `import("./…")` calls. */
function dynamicImports(source: string): string[] {
  return [...source.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g)].map((match) => match[1]!);
}

/** Every file `entry` loads before its first line runs: it and its static imports, transitively. */
function startupFiles(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of staticImports(fs.readFileSync(file, 'utf8')))
      visit(path.resolve(path.dirname(file), specifier));
  };
  visit(entry);
  return [...seen];
}

/** Runs an ES module snippet in a fresh node and returns what it printed, parsed as JSON. */
function runModule(code: string, cwd: string): unknown {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output);
}

describe('npm run build (scripts/build.mjs)', () => {
  // Built once, the way an install lays it out: dist/ with node_modules beside it, where the
  // build's external imports (and sqlite3.wasm) are found.
  let dir: string;
  let dist: string;
  const url = (file: string): string => JSON.stringify(pathToFileURL(path.join(dist, file)).href);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-build-'));
    dist = path.join(dir, 'dist');
    fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'), 'junction');
    execFileSync(process.execPath, [BUILD, dist, '--no-types'], { stdio: 'inherit' });
  });
  afterAll(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('puts every subpath export and the CLI where package.json points, the CLI with its shebang and executable', () => {
    const exported = Object.values(manifest.exports as Record<string, string | { default: string }>).flatMap(
      (target) => (typeof target === 'object' ? [target.default] : []),
    );
    const bin = Object.values(manifest.bin as Record<string, string>);
    for (const file of [...exported, ...bin]) expect(fs.existsSync(path.join(dir, file)), file).toBe(true);
    const cli = path.join(dir, manifest.bin.wasmlite);
    expect(fs.readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    if (process.platform !== 'win32') expect(fs.statSync(cli).mode & 0o111).toBe(0o111);
  });

  it('starts `wasmlite` from a handful of files, leaving what it imports lazily (replication) out', () => {
    const files = startupFiles(path.join(dist, 'core/index.js'));
    expect(files.length).toBeGreaterThan(1); // the entry and its shared chunks
    expect(files.length).toBeLessThanOrEqual(MAX_STARTUP_FILES);
    // Not even an empty chunk esbuild left for type-only modules (each file costs a resolve and a read).
    for (const file of files)
      expect(
        fs
          .readFileSync(file, 'utf8')
          .replace(/^\/\/# sourceMappingURL=.*$/m, '')
          .trim(),
        file,
      ).not.toBe('');
    const lazy = files.flatMap((file) =>
      dynamicImports(fs.readFileSync(file, 'utf8')).map((specifier) => path.resolve(path.dirname(file), specifier)),
    );
    expect(lazy.length).toBeGreaterThan(0); // core's load of the replica backend
    for (const file of lazy) {
      expect(fs.existsSync(file), file).toBe(true);
      expect(files).not.toContain(file);
    }
  });

  it('opens a Database from the build (finding sqlite3.wasm in node_modules), and `wasmlite/replication` shares its engine', () => {
    // One engine per thread means one WebAssembly.Memory (engine.ts makes one per engine), and
    // SqliteError from replication's Database being the class `wasmlite` exports.
    const result = runModule(
      `let memories = 0;
      WebAssembly.Memory = class extends WebAssembly.Memory { constructor(...args) { super(...args); memories++; } };
      const core = await import(${url('core/index.js')});
      const replication = await import(${url('replication/index.js')});
      const row = new core.default(':memory:').prepare('SELECT 1 AS one').get();
      const error = await replication.Replica.open(${JSON.stringify(path.join(dir, 'missing.db'))}).catch((error) => error);
      console.log(JSON.stringify({ row, memories, code: error.code, sameErrorClass: error instanceof core.SqliteError }));`,
      dir,
    );
    expect(result).toEqual({ row: { one: 1 }, memories: 1, code: 'SQLITE_CANTOPEN', sameErrorClass: true });
  });

  it('runs `wasmlite primary` from the build, and a replica client of it from `wasmlite` loads replication on first use', async () => {
    const cli = path.join(dir, manifest.bin.wasmlite);
    const primary = spawn(process.execPath, [cli, 'primary', path.join(dir, 'primary.db'), '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => primary.once('exit', resolve));
    try {
      const line = await new Promise<string>((resolve) =>
        createInterface({ input: primary.stdout! }).once('line', resolve),
      );
      const syncUrl = /(http:\/\/\S+),/.exec(line)![1]!;
      const result = runModule(
        `const { createClient } = await import(${url('core/index.js')});
        const client = createClient({ url: ${JSON.stringify(`file:${path.join(dir, 'replica.db')}`)}, syncUrl: ${JSON.stringify(syncUrl)} });
        await client.execute('CREATE TABLE t (v)');
        await client.execute('INSERT INTO t VALUES (42)');
        const { rows } = await client.execute('SELECT v FROM t');
        client.close();
        console.log(JSON.stringify(rows.map((row) => row.v)));`,
        dir,
      );
      expect(result).toEqual([42]);
    } finally {
      primary.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('runs `wasmlite prisma migrate-deploy --help` from the build (a lazily loaded chunk)', () => {
    const usage = execFileSync(
      process.execPath,
      [path.join(dir, manifest.bin.wasmlite), 'prisma', 'migrate-deploy', '--help'],
      { encoding: 'utf8' },
    );
    expect(usage).toMatch(/^usage: wasmlite prisma migrate-deploy /);
  });
});
