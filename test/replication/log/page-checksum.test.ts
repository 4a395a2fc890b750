import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyChecksum, databaseChecksum, pageChecksum, zeroPageChecksum } from '../../../replication/log/index.ts';
import { openNative } from '../../support/better-sqlite3.ts';
import { seededRandom } from '../../support/seeded-random.ts';
import { PageStore, pageData } from './records.ts';
import { useTempDir } from '../../support/temp-dir.ts';

const temp = useTempDir();

describe('pageChecksum', () => {
  it('matches the test vectors in FORMAT.md', () => {
    const sequence = new Uint8Array(512).map((_, i) => i & 0xff);
    expect(pageChecksum(1, sequence)).toBe(0x639aab45e66683bbn);
    expect(pageChecksum(3, sequence)).toBe(0x682b75ba4bb29d37n);
    expect(pageChecksum(1, new Uint8Array(4096))).toBe(0x18d00937f079f049n);
    expect(pageChecksum(2, new Uint8Array(4096))).toBe(0x44520bf1078f76c3n);
    expect(databaseChecksum(Buffer.concat([sequence, new Uint8Array(512)]), { pageSize: 512 })).toBe(
      0x9c15a3a3010cb1afn,
    );
  });

  it('depends on the page number', () => {
    const data = pageData(4096, 1);
    const sums = new Set([1, 2, 3, 1000, 0xffffffff].map((pgno) => pageChecksum(pgno, data)));
    expect(sums.size).toBe(5);
  });

  it('changes when any single bit of the page changes', () => {
    const data = pageData(512, 2);
    const original = pageChecksum(5, data);
    const seen = new Set<bigint>([original]);
    for (let bit = 0; bit < data.length * 8; bit++) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      seen.add(pageChecksum(5, data));
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
    expect(seen.size).toBe(data.length * 8 + 1);
    expect(pageChecksum(5, data)).toBe(original);
  });

  it('leaves the page untouched', () => {
    const data = pageData(1024, 3);
    const copy = data.slice();
    pageChecksum(1, data);
    expect(data).toEqual(copy);
  });

  it('gives zero pages the checksum of zero-filled data', () => {
    for (const size of [512, 4096, 65536]) {
      expect(zeroPageChecksum(7, size)).toBe(pageChecksum(7, new Uint8Array(size)));
    }
  });

  it('rejects a page number or page that is not valid', () => {
    expect(() => pageChecksum(0, new Uint8Array(512))).toThrow(TypeError);
    expect(() => pageChecksum(1.5, new Uint8Array(512))).toThrow(TypeError);
    expect(() => pageChecksum(2 ** 32, new Uint8Array(512))).toThrow(TypeError);
    expect(() => pageChecksum(1, new Uint8Array(1000))).toThrow(TypeError);
    expect(() => pageChecksum(1, new Uint8Array(256))).toThrow(TypeError);
    expect(() => pageChecksum(1, new Uint8Array(131072))).toThrow(TypeError);
    expect(() => zeroPageChecksum(1, 3000)).toThrow(TypeError);
  });
});

describe('databaseChecksum', () => {
  it('is 0 for an empty database', () => {
    expect(databaseChecksum(new Uint8Array(0))).toBe(0n);
    const file = path.join(temp.dir, 'empty.db');
    fs.writeFileSync(file, '');
    expect(databaseChecksum(file)).toBe(0n);
  });

  it('notices two pages swapping their contents', () => {
    const a = pageData(512, 10);
    const b = pageData(512, 11);
    const before = databaseChecksum(Buffer.concat([a, b]), { pageSize: 512 });
    const after = databaseChecksum(Buffer.concat([b, a]), { pageSize: 512 });
    expect(after).not.toBe(before);
  });

  it('notices identical pages swapping places and a page moving', () => {
    const a = pageData(512, 12);
    const zero = new Uint8Array(512);
    expect(databaseChecksum(Buffer.concat([a, zero, zero]), { pageSize: 512 })).not.toBe(
      databaseChecksum(Buffer.concat([zero, a, zero]), { pageSize: 512 }),
    );
    expect(databaseChecksum(Buffer.concat([a, a]), { pageSize: 512 })).not.toBe(0n);
  });

  it('reads a file page by page with the same result as its bytes', () => {
    const store = new PageStore(4096);
    const writes: Array<[number, Uint8Array]> = [];
    for (let pgno = 1; pgno <= 300; pgno++) writes.push([pgno, pageData(4096, pgno)]);
    store.commit(writes);
    const file = path.join(temp.dir, 'pages.db');
    fs.writeFileSync(file, store.bytes());
    expect(databaseChecksum(file, { pageSize: 4096 })).toBe(databaseChecksum(store.bytes(), { pageSize: 4096 }));
    expect(databaseChecksum(file, { pageSize: 4096 })).toBe(store.checksum);
  });

  it('takes the page size from the SQLite header', () => {
    for (const pageSize of [512, 8192, 65536]) {
      const file = path.join(temp.dir, `native-${pageSize}.db`);
      const db = openNative(file);
      db.pragma(`page_size = ${pageSize}`);
      db.pragma('journal_mode = delete');
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(100000))');
      db.close();
      const bytes = fs.readFileSync(file);
      expect(databaseChecksum(file)).toBe(databaseChecksum(bytes, { pageSize }));
      expect(databaseChecksum(bytes)).toBe(databaseChecksum(bytes, { pageSize }));
    }
  });

  it('rejects a size that is not whole pages, and a missing page size', () => {
    expect(() => databaseChecksum(new Uint8Array(1000), { pageSize: 512 })).toThrow(RangeError);
    expect(() => databaseChecksum(new Uint8Array(1024))).toThrow(/pageSize/);
    expect(() => databaseChecksum(new Uint8Array(1024), { pageSize: 1000 })).toThrow(TypeError);
    expect(() => databaseChecksum(path.join(temp.dir, 'missing.db'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
  });
});

describe('applyChecksum', () => {
  it('is pre XOR before XOR after for each change', () => {
    expect(
      applyChecksum(0b1000n, [
        { before: 0b0001n, after: 0b0010n },
        { before: 0b0100n, after: 0n },
      ]),
    ).toBe(0b1111n);
    expect(applyChecksum(5n, [])).toBe(5n);
  });

  it('keeps up with a full recomputation over random writes, shrinks and growths', () => {
    const next = seededRandom(42);
    for (const pageSize of [512, 4096]) {
      const store = new PageStore(pageSize);
      for (let tx = 0; tx < 150; tx++) {
        const roll = next();
        let count: number | undefined;
        if (roll < 0.15 && store.pageCount > 1)
          count = 1 + Math.floor(next() * store.pageCount); // shrink
        else if (roll < 0.3) count = store.pageCount + 1 + Math.floor(next() * 5); // grow, maybe leaving zero pages
        const limit = count ?? store.pageCount + 3;
        const writes = new Map<number, Uint8Array>();
        const n = Math.floor(next() * 6);
        for (let i = 0; i < n; i++)
          writes.set(1 + Math.floor(next() * limit), pageData(pageSize, Math.floor(next() * 2 ** 31)));
        const record = store.commit([...writes], count);
        expect(record.postChecksum).toBe(databaseChecksum(store.bytes(), { pageSize }));
      }
      expect(store.pageCount).toBeGreaterThan(0);
    }
  });
});
