import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LogCorruptionError, TxRecord } from '../../../replication/log/index.ts';
import { DB_ID, PageStore, pageData } from './records.ts';

const HEADER = 96;

/** A consistent record writing pages `pgnos` of `pageSize` onto an empty database. */
function recordOf(pageSize: number, pgnos: number[], commitPageCount = Math.max(1, ...pgnos)): TxRecord {
  return new PageStore(pageSize).commit(
    pgnos.map((pgno) => [pgno, pageData(pageSize, pgno)]),
    commitPageCount,
  );
}

/** Recomputes both checksums after a test edited fields, so that only the edit is wrong. */
function reseal(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  view.setUint32(92, crc32(bytes.subarray(0, 92)));
  view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)));
  return bytes;
}

function edit(record: TxRecord, change: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = TxRecord.encode(record).slice();
  change(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), bytes);
  return reseal(bytes);
}

function corruption(fn: () => unknown): LogCorruptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LogCorruptionError);
    return error as LogCorruptionError;
  }
  throw new Error('expected a LogCorruptionError');
}

describe('TxRecord encode/decode', () => {
  it.each([
    ['no pages', 4096, [] as number[]],
    ['one page', 4096, [1]],
    ['many pages', 4096, Array.from({ length: 200 }, (_, i) => i * 2 + 1)],
    ['the smallest pages', 512, [1, 2, 3]],
    ['64 KiB pages', 65536, [1, 5, 6]],
  ])('round-trips a record with %s', (_name, pageSize, pgnos) => {
    const record = recordOf(pageSize, pgnos);
    const bytes = TxRecord.encode(record);
    expect(bytes.length).toBe(HEADER + pgnos.length * (4 + pageSize) + 4);
    const decoded = TxRecord.decode(bytes);
    expect(decoded).toEqual({
      ...record,
      pages: record.pages.map((p) => ({ pgno: p.pgno, data: expect.any(Uint8Array) })),
    });
    decoded.pages.forEach((page, i) => expect(Buffer.from(page.data).equals(record.pages[i]!.data)).toBe(true));
    expect(Buffer.from(TxRecord.encode(decoded)).equals(bytes)).toBe(true);
  });

  it('round-trips extreme field values', () => {
    const record: TxRecord = {
      ...recordOf(512, [1]),
      txid: (1n << 64n) - 1n,
      epoch: (1n << 64n) - 1n,
      preChecksum: 0n,
      postChecksum: (1n << 64n) - 1n,
      timestamp: -1,
      commitPageCount: 0xffffffff,
      dbId: 'ffffffffffffffffffffffffffffffff',
    };
    expect(TxRecord.decode(TxRecord.encode(record))).toMatchObject({ ...record, pages: [{ pgno: 1 }] });
  });

  it('lays the header out as FORMAT.md says', () => {
    const record = recordOf(512, [2], 3);
    const bytes = TxRecord.encode(record);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('WLTX');
    expect(view.getUint16(4)).toBe(2);
    expect(view.getBigUint64(8)).toBe(BigInt(bytes.length));
    expect(Buffer.from(bytes.subarray(16, 32)).toString('hex')).toBe(DB_ID);
    expect(view.getBigUint64(32)).toBe(1n);
    expect(view.getUint32(56)).toBe(512);
    expect(view.getUint32(60)).toBe(3);
    expect(view.getUint32(64)).toBe(1);
    expect(view.getBigUint64(72)).toBe(record.preChecksum);
    expect(view.getBigUint64(80)).toBe(record.postChecksum);
    expect(view.getUint32(92)).toBe(crc32(bytes.subarray(0, 92)));
    expect(view.getUint32(96)).toBe(2);
    expect(Buffer.from(bytes.subarray(100, 612)).equals(record.pages[0]!.data)).toBe(true);
    expect(view.getUint32(612)).toBe(crc32(bytes.subarray(0, 612)));
    expect(TxRecord.readHeader(bytes.subarray(0, HEADER))).toMatchObject({ txid: 1n, pageCount: 1, length: 616 });
  });

  it('refuses to encode a record that breaks the rules', () => {
    const good = recordOf(512, [1, 2]);
    const page = (pgno: number, size = 512) => ({ pgno, data: new Uint8Array(size) });
    const bad: Array<Partial<Record<keyof TxRecord, unknown>>> = [
      { txid: 0n },
      { txid: 1n << 64n },
      { txid: 1 },
      { epoch: -1n },
      { preChecksum: 1n << 64n },
      { dbId: 'abc' },
      { dbId: DB_ID.toUpperCase() },
      { pageSize: 1000 },
      { pageSize: 256 },
      { pageSize: 131072 },
      { commitPageCount: 0 },
      { commitPageCount: 1.5 },
      { timestamp: 1.5 },
      { pages: [page(2), page(1)] },
      { pages: [page(1), page(1)] },
      { pages: [page(3)] },
      { pages: [page(0)] },
      { pages: [page(1, 511)] },
      { pages: 'x' },
    ];
    for (const fields of bad) {
      expect(
        () => TxRecord.encode({ ...good, ...fields } as TxRecord),
        JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      ).toThrow(TypeError);
    }
  });
});

describe('TxRecord.decode rejections', () => {
  const record = recordOf(512, [1, 3], 4);

  it('rejects a bad magic', () => {
    const error = corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(0, 0x12345678))));
    expect([error.field, error.offset, error.reason]).toEqual(['magic', 0, 'bad magic']);
    expect(error.message).toBe('corrupt log record: bad magic (field magic at offset 0)');
    expect(corruption(() => TxRecord.decode(new Uint8Array(0))).field).toBe('magic');
  });

  it('rejects an unknown version', () => {
    const error = corruption(() => TxRecord.decode(edit(record, (view) => view.setUint16(4, 3))));
    expect([error.field, error.reason]).toEqual(['version', 'unknown version 3']);
  });

  it('rejects unknown flags and non-zero reserved fields', () => {
    expect(corruption(() => TxRecord.decode(edit(record, (view) => view.setUint16(6, 1)))).field).toBe('flags');
    const v1 = (view: DataView) => view.setUint16(4, 1);
    expect(corruption(() => TxRecord.decode(edit(record, (view) => (v1(view), view.setUint32(68, 1))))).field).toBe(
      'reserved',
    );
    expect(corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(88, 1)))).field).toBe('reserved2');
  });

  it('rejects a record cut short or followed by extra bytes', () => {
    const bytes = TxRecord.encode(record);
    for (const length of [4, 50, 95])
      expect(corruption(() => TxRecord.decode(bytes.subarray(0, length))).field).toBe('length');
    expect(corruption(() => TxRecord.decode(bytes.subarray(0, bytes.length - 1))).reason).toMatch(/^length mismatch/);
    expect(corruption(() => TxRecord.decode(Buffer.concat([bytes, new Uint8Array(1)]))).reason).toMatch(
      /^length mismatch/,
    );
  });

  it('rejects a stated length that does not match the pages', () => {
    const error = corruption(() =>
      TxRecord.decode(edit(record, (view) => view.setBigUint64(8, view.getBigUint64(8) + 512n))),
    );
    expect([error.field, error.offset]).toEqual(['length', 8]);
    expect(corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(64, 1)))).field).toBe('length');
  });

  it.each([0, 256, 1000, 4095, 131072, 0x80000000])('rejects page size %i', (pageSize) => {
    const error = corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(56, pageSize))));
    expect([error.field, error.offset]).toEqual(['pageSize', 56]);
  });

  it('rejects pages out of order, duplicated, numbered 0 or beyond the commit page count', () => {
    const swapped = corruption(() =>
      TxRecord.decode(
        edit(record, (view) => {
          view.setUint32(96, 3);
          view.setUint32(100, 1);
        }),
      ),
    );
    expect([swapped.field, swapped.offset]).toEqual(['pgno', 100]);
    expect(swapped.reason).toMatch(/out of order or duplicated/);
    const duplicated = corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(100, 1))));
    expect([duplicated.field, duplicated.offset]).toEqual(['pgno', 100]);
    const zero = corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(96, 0))));
    expect([zero.field, zero.offset]).toEqual(['pgno', 96]);
    const beyond = corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(100, 5))));
    expect([beyond.field, beyond.reason]).toEqual(['pgno', 'page 5 beyond the commit page count 4']);
  });

  it('rejects more pages than the database has, a commit page count of 0 and a txid of 0', () => {
    expect(corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(60, 1)))).field).toBe('pageCount');
    expect(corruption(() => TxRecord.decode(edit(record, (view) => view.setUint32(60, 0)))).field).toBe(
      'commitPageCount',
    );
    expect(corruption(() => TxRecord.decode(edit(record, (view) => view.setBigUint64(32, 0n)))).field).toBe('txid');
  });

  it('rejects a checksum mismatch in the header or the body', () => {
    const header = TxRecord.encode(record).slice();
    header[40] ^= 1;
    expect(corruption(() => TxRecord.decode(header)).field).toBe('headerChecksum');
    const body = TxRecord.encode(record).slice();
    body[500] ^= 0x80;
    const error = corruption(() => TxRecord.decode(body));
    expect([error.field, error.offset, error.reason]).toEqual(['checksum', body.length - 4, 'checksum mismatch']);
  });

  it('rejects every single flipped bit', () => {
    const bytes = TxRecord.encode(record).slice();
    let rejected = 0;
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => TxRecord.decode(bytes), `bit ${bit}`).toThrow(LogCorruptionError);
      rejected++;
      bytes[bit >> 3]! ^= 1 << (bit & 7);
    }
    expect(rejected).toBe(bytes.length * 8);
    expect(TxRecord.decode(bytes).txid).toBe(1n);
  });

  it('rejects every single flipped bit of a record without pages', () => {
    const bytes = TxRecord.encode(recordOf(4096, [])).slice();
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => TxRecord.decode(bytes), `bit ${bit}`).toThrow(LogCorruptionError);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
    }
  });

  it('rejects bytes that are not a Uint8Array with a TypeError', () => {
    expect(() => TxRecord.decode('WLTX' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('TxRecord post checksum against the pages before', () => {
  /** A database of 5 pages, then a record that writes, shrinks or grows it. */
  function scenario(writes: number[], commitPageCount: number) {
    const store = new PageStore(512);
    store.commit([1, 2, 3, 4, 5].map((pgno) => [pgno, pageData(512, 100 + pgno)]));
    const before = store.checksums();
    const record = store.commit(
      writes.map((pgno) => [pgno, pageData(512, 200 + pgno)]),
      commitPageCount,
    );
    return { before, record, bytes: TxRecord.encode(record) };
  }

  it.each([
    ['writes', [2, 4], 5],
    ['shrinks', [1], 3],
    ['shrinks without writing', [], 2],
    ['grows with every new page', [6, 7], 7],
    ['grows leaving zero-filled pages', [9], 9],
    ['grows without writing', [], 8],
  ])('accepts a record that %s', (_name, writes, count) => {
    const { before, bytes } = scenario(writes as number[], count as number);
    expect(() => TxRecord.decode(bytes, { before })).not.toThrow();
  });

  it('rejects a post checksum that does not follow from the pages', () => {
    const { before, record } = scenario([2], 5);
    const bytes = TxRecord.encode({ ...record, postChecksum: record.postChecksum ^ 1n });
    expect(() => TxRecord.decode(bytes)).not.toThrow();
    const error = corruption(() => TxRecord.decode(bytes, { before }));
    expect([error.field, error.offset]).toEqual(['postChecksum', 80]);
  });

  it('rejects a record applied to pages other than those it was made from', () => {
    const { before, bytes } = scenario([2], 5);
    const other = {
      pageCount: before.pageCount,
      pageChecksum: (pgno: number) => (pgno === 2 ? 1n : before.pageChecksum(pgno)),
    };
    expect(() => TxRecord.decode(bytes, { before: other })).toThrow(LogCorruptionError);
    const shorter = { pageCount: 4, pageChecksum: before.pageChecksum };
    expect(() => TxRecord.decode(scenario([], 3).bytes, { before: shorter })).toThrow(LogCorruptionError);
  });

  it('verifies a decoded record on its own too', () => {
    const { before, record } = scenario([3], 4);
    expect(() => TxRecord.verifyChecksums(record, before)).not.toThrow();
    expect(() => TxRecord.verifyChecksums({ ...record, preChecksum: 0n }, before)).toThrow(LogCorruptionError);
  });
});

describe('TxRecord version 2 metadata', () => {
  const record = recordOf(512, [1, 3], 4);
  const meta = { idempotencyKey: 'req-7f3a/2', result: new Uint8Array([1, 2, 3, 250]) };

  it('round-trips an idempotency key and result, and lays them out between page index and pages', () => {
    const bytes = TxRecord.encode({ ...record, meta });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const metaLength = 6 + 10 + 4;
    expect(view.getUint32(68)).toBe(metaLength);
    expect(bytes.length).toBe(100 + 2 * 4 + metaLength + 2 * 512);
    const at = HEADER + 2 * 4;
    expect(view.getUint16(at)).toBe(10);
    expect(Buffer.from(bytes.subarray(at + 2, at + 12)).toString('latin1')).toBe(meta.idempotencyKey);
    expect(view.getUint32(at + 12)).toBe(4);
    expect([...bytes.subarray(at + 16, at + 20)]).toEqual([1, 2, 3, 250]);
    expect(Buffer.from(bytes.subarray(at + 20, at + 20 + 512)).equals(record.pages[0]!.data)).toBe(true);
    const decoded = TxRecord.decode(bytes);
    expect(decoded.meta?.idempotencyKey).toBe(meta.idempotencyKey);
    expect([...decoded.meta!.result!]).toEqual([1, 2, 3, 250]);
    expect(Buffer.from(decoded.pages[1]!.data).equals(record.pages[1]!.data)).toBe(true);
    expect(TxRecord.readHeader(bytes)).toMatchObject({ version: 2, metaLength, length: bytes.length });
    expect(Buffer.from(TxRecord.encode(decoded)).equals(bytes)).toBe(true);
  });

  it('round-trips a key without a result, and a record without metadata has no meta field', () => {
    const keyOnly = TxRecord.decode(TxRecord.encode({ ...record, meta: { idempotencyKey: 'k' } }));
    expect(keyOnly.meta).toEqual({ idempotencyKey: 'k' });
    expect('meta' in TxRecord.decode(TxRecord.encode(record))).toBe(false);
  });

  it('still reads a version 1 record (no metadata section)', () => {
    const v1 = edit(record, (view) => view.setUint16(4, 1));
    const decoded = TxRecord.decode(v1);
    expect(decoded.txid).toBe(record.txid);
    expect(TxRecord.readHeader(v1)).toMatchObject({ version: 1, metaLength: 0 });
  });

  it('rejects metadata that does not add up, naming the field', () => {
    const bytes = TxRecord.encode({ ...record, meta });
    const at = HEADER + 2 * 4;
    const reject = (change: (view: DataView) => void) => {
      const copy = bytes.slice();
      change(new DataView(copy.buffer, copy.byteOffset, copy.length));
      return corruption(() => TxRecord.decode(reseal(copy)));
    };
    expect(reject((view) => view.setUint16(at, 0))).toMatchObject({ field: 'meta', offset: at });
    expect(reject((view) => view.setUint16(at, 11)).field).toBe('meta');
    expect(reject((view) => view.setUint32(at + 12, 5)).field).toBe('meta');
    expect(reject((view) => view.setUint8(at + 2, 0x0a)).reason).toBe('idempotency key is not printable ASCII');
    const small = edit(record, (view) => view.setUint32(68, 6));
    expect(corruption(() => TxRecord.decode(small)).field).toBe('metaLength');
    const huge = edit(record, (view) => view.setUint32(68, 6 + 128 + 65536 + 1));
    expect(corruption(() => TxRecord.decode(huge)).field).toBe('metaLength');
  });

  it('refuses to encode a key that is not 1..128 printable ASCII or a result over 64 KiB', () => {
    for (const idempotencyKey of ['', 'x'.repeat(129), 'tab\there', 'é']) {
      expect(() => TxRecord.encode({ ...record, meta: { idempotencyKey } })).toThrow(TypeError);
    }
    expect(() => TxRecord.encode({ ...record, meta: { idempotencyKey: 'k', result: new Uint8Array(65537) } })).toThrow(
      /at most 65536 bytes/,
    );
    expect(
      TxRecord.encode({ ...record, meta: { idempotencyKey: 'x'.repeat(128), result: new Uint8Array(65536) } }),
    ).toBeInstanceOf(Uint8Array);
  });
});
