import fs from 'node:fs';
import { databaseChecksum, type TxRecord } from '../../../replication/log/index.ts';
import { PageChecksumTable } from '../../../replication/capture/index.ts';

/**
 * A replica as a plain file: records are applied by writing their pages and setting the size,
 * nothing else (no SQLite involved), so that equal bytes prove the records carry everything.
 */
export class ReplicaFile {
  readonly path: string;
  /** The page checksums of the file, for checking each record's `postChecksum` before applying it. */
  readonly table: PageChecksumTable;

  /** A replica starting as a copy of `source` (a checkpointed database file). */
  constructor(path: string, source: string, pageSize: number) {
    fs.copyFileSync(source, path);
    this.path = path;
    this.table = new PageChecksumTable(pageSize);
    const bytes = fs.readFileSync(path);
    for (let at = 0; at < bytes.length; at += pageSize) this.table.push(bytes.subarray(at, at + pageSize));
  }

  get checksum(): bigint {
    return databaseChecksum(this.path);
  }

  /** Writes each page at `(pgno - 1) × pageSize` and truncates or extends to `commitPageCount` pages. */
  apply(record: TxRecord): void {
    const fd = fs.openSync(this.path, 'r+');
    try {
      for (const { pgno, data } of record.pages) fs.writeSync(fd, data, 0, data.length, (pgno - 1) * record.pageSize);
      fs.ftruncateSync(fd, record.commitPageCount * record.pageSize);
    } finally {
      fs.closeSync(fd);
    }
    this.table.plan(record.pages, record.commitPageCount).apply();
  }
}
