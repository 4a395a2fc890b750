import { pageChecksum, zeroPageChecksum, type PageChecksumSource, type TxPage } from '../log/index.ts';

const INITIAL_CAPACITY = 256;

/**
 * What a commit makes of a {@link PageChecksumTable}: the database checksum after it, and
 * `apply()` to make that the table's state. Nothing changes until `apply()` is called, so a
 * commit that is refused afterwards leaves the table as it was.
 *
 * @example
 * const plan = table.plan(commit.pages, commit.commitPageCount);
 * sink({ …, postChecksum: plan.checksum });
 * plan.apply();
 */
export interface ChecksumPlan {
  /** The database checksum after the commit. */
  readonly checksum: bigint;
  /**
   * Whether the commit changes the database: false when it keeps the size and every page it
   * writes has the checksum it had (SQLite commits the pages a `ROLLBACK TO` restored).
   */
  readonly changed: boolean;
  /** Makes the commit the table's state. Call at most once, and before planning another commit. */
  apply(): void;
}

/**
 * The page checksums of a whole database (8 bytes a page) and its database checksum, kept up to
 * date commit by commit in O(pages changed), by the rules of FORMAT.md ("Database checksum"):
 * a written page swaps its old checksum for its new one, pages beyond a smaller
 * `commitPageCount` drop out, and pages of a growth that the commit does not write count as
 * zero-filled. Built once by pushing the database's pages in order.
 *
 * @example
 * const table = new PageChecksumTable(4096);
 * for (const page of pages) table.push(page); // table.checksum === databaseChecksum(file)
 */
export class PageChecksumTable implements PageChecksumSource {
  readonly pageSize: number;
  #sums = new BigUint64Array(INITIAL_CAPACITY);
  #count = 0;
  #checksum = 0n;

  constructor(pageSize: number) {
    this.pageSize = pageSize;
  }

  /** The database size in pages. */
  get pageCount(): number {
    return this.#count;
  }

  /** The database checksum: the XOR of the page checksums of pages 1..pageCount. */
  get checksum(): bigint {
    return this.#checksum;
  }

  /** The checksum of page `pgno`; a RangeError outside 1..pageCount. */
  pageChecksum(pgno: number): bigint {
    if (!Number.isInteger(pgno) || pgno < 1 || pgno > this.#count) {
      throw new RangeError(`Expected a page number between 1 and ${this.#count}, got ${pgno}`);
    }
    return this.#sums[pgno - 1]!;
  }

  /** Appends page `pageCount + 1`, while scanning the database. A TypeError if it is not a page. */
  push(data: Uint8Array): void {
    if (!(data instanceof Uint8Array) || data.length !== this.pageSize) {
      throw new TypeError(`Expected page ${this.#count + 1} to be a Uint8Array of ${this.pageSize} bytes`);
    }
    const sum = pageChecksum(this.#count + 1, data);
    this.#reserve(this.#count + 1);
    this.#sums[this.#count++] = sum;
    this.#checksum ^= sum;
  }

  /**
   * What writing `pages` (ascending, unique, none beyond `commitPageCount`) and resizing the
   * database to `commitPageCount` pages does to the checksums. The table is unchanged until the
   * plan is applied.
   */
  plan(pages: readonly TxPage[], commitPageCount: number): ChecksumPlan {
    const sums = this.#sums;
    const old = this.#count;
    let checksum = this.#checksum;
    let changed = commitPageCount !== old;
    const written = new BigUint64Array(pages.length);
    for (let i = 0; i < pages.length; i++) {
      const { pgno, data } = pages[i]!;
      const sum = pageChecksum(pgno, data);
      const before = pgno <= old ? sums[pgno - 1]! : 0n;
      written[i] = sum;
      checksum ^= before ^ sum;
      if (before !== sum || pgno > old) changed = true;
    }
    for (let pgno = commitPageCount + 1; pgno <= old; pgno++) checksum ^= sums[pgno - 1]!;
    const zeros: number[] = [];
    for (let pgno = old + 1, next = 0; pgno <= commitPageCount; pgno++) {
      while (next < pages.length && pages[next]!.pgno < pgno) next++;
      if (next < pages.length && pages[next]!.pgno === pgno) continue;
      checksum ^= zeroPageChecksum(pgno, this.pageSize);
      zeros.push(pgno);
    }
    return {
      checksum,
      changed,
      apply: () => {
        this.#reserve(commitPageCount);
        for (let i = 0; i < pages.length; i++) this.#sums[pages[i]!.pgno - 1] = written[i]!;
        for (const pgno of zeros) this.#sums[pgno - 1] = zeroPageChecksum(pgno, this.pageSize);
        this.#count = commitPageCount;
        this.#checksum = checksum;
      },
    };
  }

  #reserve(pageCount: number): void {
    if (pageCount <= this.#sums.length) return;
    const grown = new BigUint64Array(Math.max(pageCount, this.#sums.length * 2));
    grown.set(this.#sums.subarray(0, this.#count));
    this.#sums = grown;
  }
}
