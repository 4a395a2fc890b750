import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import Database from '../../core/index.ts';
import { loadEngine, loadEngineSync } from '../../core/sqlite3/engine.ts';
import { IO_METHODS_MEMBERS, VFS_MEMBERS } from '../../core/sqlite3/vfs-registration.ts';
import {
  compileSqliteWasm,
  nearestSqliteWasm,
  resolveSqliteWasm,
  sqliteWasmPath,
} from '../../core/sqlite3/wasm-file.ts';
import { thrown } from '../database/thrown.ts';
import { useTempDir } from '../support/temp-dir.ts';

const tmp = useTempDir();

describe('loading the engine', () => {
  it('loads once per thread: the sync and async paths give the same engine', async () => {
    const engine = loadEngineSync();
    expect(await loadEngine()).toBe(engine);
    expect(engine.version).toBe('3.54.1');
  });

  it('finds sqlite3.wasm in the installed @sqlite.org/sqlite-wasm, where the loader resolves it', () => {
    const file = sqliteWasmPath();
    expect(file).toMatch(/@sqlite\.org[/\\]sqlite-wasm[/\\]dist[/\\]sqlite3\.wasm$/);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.realpathSync(nearestSqliteWasm()!)).toBe(fs.realpathSync(resolveSqliteWasm()));
  });

  it('names the file when sqlite3.wasm is missing', () => {
    const file = tmp.file('sqlite3.wasm');
    const error = thrown(() => compileSqliteWasm(file));
    expect(error.message).toBe(
      `cannot read the SQLite WebAssembly module ${file} (is @sqlite.org/sqlite-wasm installed?)`,
    );
    expect(error.cause.code).toBe('ENOENT');
  });

  it('names the file when sqlite3.wasm is corrupt', () => {
    const file = tmp.file('sqlite3.wasm');
    fs.writeFileSync(file, fs.readFileSync(sqliteWasmPath()).subarray(0, 1000));
    const error = thrown(() => compileSqliteWasm(file));
    expect(error.message).toBe(`${file} is not a valid WebAssembly module (reinstall @sqlite.org/sqlite-wasm)`);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('the engine in use', () => {
  it('lays out sqlite3_vfs and sqlite3_io_methods as the build describes them', () => {
    const enums = loadEngineSync().enums;
    for (const [struct, members] of [
      ['sqlite3_vfs', VFS_MEMBERS],
      ['sqlite3_io_methods', IO_METHODS_MEMBERS],
    ] as const) {
      const layout = enums.struct(struct);
      expect(layout.sizeof).toBe(members.length * 4);
      expect(Object.entries(layout.members).map(([name, m]) => [name, m.offset, m.signature])).toEqual(
        members.map(([name, signature], i) => [name, i * 4, signature]),
      );
    }
    expect(enums.struct('sqlite3_file').sizeof).toBe(4);
  });

  it("converts to local time as the process's time zone does", () => {
    const db = tmp.track(new Database(':memory:'));
    for (const ms of [0, 1_700_000_000_000, Date.UTC(2026, 6, 1, 12), Date.UTC(2026, 0, 15, 23, 59, 59)]) {
      const d = new Date(ms);
      const pad = (n: number) => String(n).padStart(2, '0');
      const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      const local = `${day} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
      expect(
        db
          .prepare("SELECT datetime(?, 'unixepoch', 'localtime')")
          .pluck()
          .get(ms / 1000),
      ).toBe(local);
    }
  });

  it('knows the current time and gives random values', () => {
    const db = tmp.track(new Database(':memory:'));
    expect(Math.abs((db.prepare("SELECT unixepoch('now')").pluck().get() as number) - Date.now() / 1000)).toBeLessThan(
      2,
    );
    const [a, b] = db.prepare('SELECT hex(randomblob(16)) FROM (SELECT 1 UNION ALL SELECT 2)').pluck().all();
    expect(a).not.toBe(b);
  });

  it("seeds SQLite's random numbers from the OS, so processes started together differ", async () => {
    const child = path.join(import.meta.dirname, '..', 'support', 'random-child.ts');
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', child], { encoding: 'utf8' });
    const outputs = (await Promise.all([run(), run(), run()])).map((r) => r.stdout);
    for (const hex of outputs) expect(hex).toMatch(/^[0-9A-F]{32}$/);
    expect(new Set(outputs).size).toBe(3);
  });

  it('grows the heap for values larger than it', () => {
    const engine = loadEngineSync();
    const db = tmp.track(new Database(':memory:'));
    const before = engine.u8.byteLength;
    const big = Buffer.alloc(before + (1 << 20), 0xab);
    db.exec('CREATE TABLE t (b)');
    db.prepare('INSERT INTO t VALUES (?)').run(big);
    const back = db.prepare('SELECT b FROM t').pluck().get() as Uint8Array;
    expect(engine.u8.byteLength).toBeGreaterThan(before);
    expect(Buffer.compare(Buffer.from(back), big)).toBe(0);
  });

  it('names extended result codes', () => {
    const engine = loadEngineSync();
    expect(engine.codeName(2067)).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(engine.codeName(517)).toBe('SQLITE_BUSY_SNAPSHOT');
  });

  it('installs JS functions as C function pointers and reuses freed slots', () => {
    const engine = loadEngineSync();
    const a = engine.installFunction(() => 1, 'i(pj)');
    engine.uninstallFunction(a);
    const b = engine.installFunction(() => 2, 'v(pip)');
    expect(b).toBe(a);
    engine.uninstallFunction(b);
    expect(thrown(() => engine.installFunction(() => 0, 'x(p)'))).toBeInstanceOf(TypeError);
  });
});
