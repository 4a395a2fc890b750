import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadEngine, type Engine } from '../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../core/vfs/default-vfs.ts';
import { openNative, type NativeDb } from '../support/better-sqlite3.ts';
import { openDb, type Oo1Db } from '../support/oo1.ts';

const NAMES = ['Ada', 'Zoë', 'Łukasz', '東京', 'नमस्ते', 'emoji 🦀🚀', 'e\u0301', 'مرحبا', ''];
const SCHEMA = `
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, data BLOB, note TEXT);
  CREATE INDEX items_name ON items (name, score);
  CREATE UNIQUE INDEX items_score ON items (score);
  CREATE TABLE tags (item INTEGER REFERENCES items (id), tag TEXT, PRIMARY KEY (item, tag)) WITHOUT ROWID;
  CREATE VIEW named AS SELECT id, name FROM items WHERE name <> '';
`;

/** Row `i`, the same on both sides: unicode text, reals, NULLs and blobs up to overflow pages. */
function row(i: number): [number, string, number, Uint8Array, string | null] {
  const size = i === 7 ? 40_000 : (i * 37) % 3000;
  const data = new Uint8Array(size);
  for (let b = 0; b < size; b++) data[b] = (i * 31 + b * 7) & 0xff;
  return [i, `${NAMES[i % NAMES.length]}${i}`, i * 1.5 - 100, data, i % 2 === 0 ? null : `note ${i}`];
}

const ROWS = 300;
const SELECT_ITEMS = 'SELECT id, name, score, hex(data), note FROM items ORDER BY id';
const SELECT_TAGS = 'SELECT item, tag FROM tags ORDER BY item, tag';

function expectedItems(): unknown[][] {
  return Array.from({ length: ROWS }, (_, k) => {
    const [id, name, score, data, note] = row(k + 1);
    return [id, name, score, Buffer.from(data).toString('hex').toUpperCase(), note];
  });
}

function expectedTags(): unknown[][] {
  const tags: unknown[][] = [];
  for (let i = 1; i <= ROWS; i += 10) tags.push([i, `tag-${NAMES[i % NAMES.length]}`]);
  return tags;
}

function fillWasm(db: Oo1Db): void {
  db.exec(SCHEMA);
  db.exec('BEGIN');
  for (let i = 1; i <= ROWS; i++) db.exec('INSERT INTO items VALUES (?, ?, ?, ?, ?)', { bind: row(i) });
  for (let i = 1; i <= ROWS; i += 10)
    db.exec('INSERT INTO tags VALUES (?, ?)', { bind: [i, `tag-${NAMES[i % NAMES.length]}`] });
  db.exec('COMMIT');
}

function fillNative(db: NativeDb): void {
  db.exec(SCHEMA);
  db.exec('BEGIN');
  const insert = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?, ?)');
  for (let i = 1; i <= ROWS; i++) {
    const [id, name, score, data, note] = row(i);
    insert.run(id, name, score, Buffer.from(data), note);
  }
  const tag = db.prepare('INSERT INTO tags VALUES (?, ?)');
  for (let i = 1; i <= ROWS; i += 10) tag.run(i, `tag-${NAMES[i % NAMES.length]}`);
  db.exec('COMMIT');
}

function checkNative(file: string): void {
  const db = openNative(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare(SELECT_ITEMS).raw().all()).toEqual(expectedItems());
    expect(db.prepare(SELECT_TAGS).raw().all()).toEqual(expectedTags());
    expect(db.prepare('SELECT count(*) FROM named').pluck().get()).toBe(ROWS);
  } finally {
    db.close();
  }
}

function checkWasm(engine: Engine, file: string): void {
  const db = openDb(engine, file, defaultVfs(engine).name, 'w');
  try {
    expect(db.selectValue('PRAGMA integrity_check')).toBe('ok');
    expect(db.selectArrays(SELECT_ITEMS)).toEqual(expectedItems());
    expect(db.selectArrays(SELECT_TAGS)).toEqual(expectedTags());
    expect(db.selectValue('SELECT count(*) FROM named')).toBe(ROWS);
  } finally {
    db.close();
  }
}

describe('file compatibility with native SQLite (better-sqlite3)', () => {
  let dir: string;
  let engine: Engine;

  beforeEach(async () => {
    engine = await loadEngine();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmlite-compat-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const mode of ['delete', 'wal']) {
    it(`opens a ${mode.toUpperCase()}-mode file written by wasmlite in better-sqlite3 with the same rows`, () => {
      const file = path.join(dir, 'wasm.db');
      const db = openDb(engine, file, defaultVfs(engine).name);
      expect(db.selectValue(`PRAGMA journal_mode = ${mode}`)).toBe(mode);
      fillWasm(db);
      db.close();
      expect(fs.existsSync(`${file}-wasmlite-owner`)).toBe(false);
      checkNative(file);
    });

    it(`opens a ${mode.toUpperCase()}-mode file written by better-sqlite3 in wasmlite with the same rows`, () => {
      const file = path.join(dir, 'native.db');
      const db = openNative(file);
      expect(db.pragma(`journal_mode = ${mode}`, { simple: true })).toBe(mode);
      fillNative(db);
      db.close();
      checkWasm(engine, file);
    });
  }

  it('writes WAL frames that native SQLite recovers (a copy taken before any checkpoint)', () => {
    const file = path.join(dir, 'wasm.db');
    const db = openDb(engine, file, defaultVfs(engine).name);
    try {
      db.exec('PRAGMA journal_mode = wal; PRAGMA wal_autocheckpoint = 0');
      fillWasm(db);
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      fs.copyFileSync(file, path.join(dir, 'copy.db'));
      fs.copyFileSync(`${file}-wal`, path.join(dir, 'copy.db-wal'));
    } finally {
      db.close();
    }
    checkNative(path.join(dir, 'copy.db'));
  });

  it('recovers WAL frames written by native SQLite (a copy taken before any checkpoint)', () => {
    const file = path.join(dir, 'native.db');
    const db = openNative(file);
    try {
      db.pragma('journal_mode = wal');
      db.pragma('wal_autocheckpoint = 0');
      fillNative(db);
      fs.copyFileSync(file, path.join(dir, 'copy.db'));
      fs.copyFileSync(`${file}-wal`, path.join(dir, 'copy.db-wal'));
    } finally {
      db.close();
    }
    checkWasm(engine, path.join(dir, 'copy.db'));
  });
});
