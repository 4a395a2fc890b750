// Test records without vitest, so that child processes can make them too.
import {
  applyChecksum,
  pageChecksum,
  TxRecord,
  zeroPageChecksum,
  type ChecksumChange,
  type PageChecksumSource,
  type TxPage,
} from '../../../replication/log/index.ts';
import { seededRandom } from '../../support/seeded-random.ts';

export const DB_ID = '00112233445566778899aabbccddeeff';

/** `size` bytes that depend only on `seed`. */
export function pageData(size: number, seed: number): Uint8Array {
  const next = seededRandom(seed);
  const data = new Uint8Array(size);
  const words = new Uint32Array(data.buffer);
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(next() * 4294967296);
  return data;
}

/**
 * A database as an array of pages, with its txid and rolling checksum, that turns writes into
 * consistent {@link TxRecord}s: what a primary's VFS would emit.
 */
export class PageStore {
  readonly pageSize: number;
  readonly pages: Uint8Array[] = [];
  txid = 0n;
  checksum = 0n;

  constructor(pageSize: number) {
    this.pageSize = pageSize;
  }

  get pageCount(): number {
    return this.pages.length;
  }

  /**
   * Commits `writes` and resizes to `commitPageCount` (default: large enough for the writes);
   * pages of a growth that are not written read as zeros. Returns the record.
   */
  commit(writes: ReadonlyArray<readonly [number, Uint8Array]>, commitPageCount?: number): TxRecord {
    const count = commitPageCount ?? Math.max(this.pageCount, ...writes.map(([pgno]) => pgno));
    const sorted = [...writes].sort((a, b) => a[0] - b[0]);
    const pages: TxPage[] = sorted.map(([pgno, data]) => ({ pgno, data }));
    const changes: ChecksumChange[] = [];
    const old = (pgno: number) => (pgno <= this.pageCount ? pageChecksum(pgno, this.pages[pgno - 1]!) : 0n);
    for (const { pgno, data } of pages) changes.push({ before: old(pgno), after: pageChecksum(pgno, data) });
    for (let pgno = count + 1; pgno <= this.pageCount; pgno++) changes.push({ before: old(pgno), after: 0n });
    const written = new Set(pages.map((p) => p.pgno));
    for (let pgno = this.pageCount + 1; pgno <= count; pgno++) {
      if (!written.has(pgno)) changes.push({ before: 0n, after: zeroPageChecksum(pgno, this.pageSize) });
    }
    const pre = this.checksum;
    const post = applyChecksum(pre, changes);
    this.pages.length = Math.min(this.pages.length, count);
    while (this.pages.length < count) this.pages.push(new Uint8Array(this.pageSize));
    for (const { pgno, data } of pages) this.pages[pgno - 1] = data.slice();
    this.txid++;
    this.checksum = post;
    return {
      txid: this.txid,
      epoch: 1n,
      dbId: DB_ID,
      pageSize: this.pageSize,
      commitPageCount: count,
      pages,
      preChecksum: pre,
      postChecksum: post,
      timestamp: 1_700_000_000_000 + Number(this.txid),
    };
  }

  /**
   * Applies a record made elsewhere, as a replica would: it must continue this store's position
   * and its post checksum must follow from these pages (throws otherwise).
   */
  apply(record: TxRecord): void {
    if (record.txid !== this.txid + 1n || record.preChecksum !== this.checksum) {
      throw new Error(`record ${record.txid} does not continue ${this.txid}`);
    }
    TxRecord.verifyChecksums(record, {
      pageCount: this.pageCount,
      pageChecksum: (pgno) => pageChecksum(pgno, this.pages[pgno - 1]!),
    });
    this.pages.length = Math.min(this.pages.length, record.commitPageCount);
    while (this.pages.length < record.commitPageCount) this.pages.push(new Uint8Array(this.pageSize));
    for (const { pgno, data } of record.pages) this.pages[pgno - 1] = data.slice();
    this.txid = record.txid;
    this.checksum = record.postChecksum;
  }

  /** The database file's bytes. */
  bytes(): Uint8Array {
    const bytes = new Uint8Array(this.pageCount * this.pageSize);
    this.pages.forEach((page, i) => bytes.set(page, i * this.pageSize));
    return bytes;
  }

  /** The pages' checksums as they are now, for `TxRecord.decode(bytes, { before })`. */
  checksums(): PageChecksumSource {
    const sums = this.pages.map((page, i) => pageChecksum(i + 1, page));
    return { pageCount: sums.length, pageChecksum: (pgno) => sums[pgno - 1]! };
  }
}

/** `count` consecutive records, each writing `pagesPer` pages chosen by a seeded PRNG. */
export function recordChain(
  count: number,
  options: { pageSize?: number; pagesPer?: number; seed?: number } = {},
): TxRecord[] {
  const store = new PageStore(options.pageSize ?? 512);
  const next = seededRandom(options.seed ?? 1);
  const records: TxRecord[] = [];
  for (let i = 0; i < count; i++) {
    const writes = new Map<number, Uint8Array>();
    const pagesPer = options.pagesPer ?? 1;
    while (writes.size < pagesPer) {
      const pgno = 1 + Math.floor(next() * (store.pageCount + pagesPer + 1));
      writes.set(pgno, pageData(store.pageSize, Math.floor(next() * 2 ** 31)));
    }
    records.push(store.commit([...writes]));
  }
  return records;
}

/**
 * The next transaction of a scripted history: which pages it writes and what they hold depend
 * only on the txid and the database size, so a checker can replay and compare. Writes 1..24 pages
 * (of `store.pageSize`), sometimes shrinking the database.
 */
export function scriptedCommit(store: PageStore): TxRecord {
  const txid = store.txid + 1n;
  const next = seededRandom(Number(txid % 1_000_000n) * 7919 + 1);
  const writes = new Map<number, Uint8Array>();
  const count = 1 + Math.floor(next() * 24);
  const shrink = store.pageCount > 8 && next() < 0.1 ? store.pageCount - 1 - Math.floor(next() * 4) : undefined;
  const limit = shrink ?? store.pageCount + 4;
  for (let i = 0; i < count; i++) {
    const pgno = 1 + Math.floor(next() * limit);
    writes.set(pgno, pageData(store.pageSize, Number(txid % 1_000_000n) * 65_537 + pgno));
  }
  return store.commit([...writes], shrink);
}
