import fs from 'node:fs';
import { databaseChecksum, Position } from '../log/index.ts';
import { isPageSize } from '../log/page-checksum.ts';

/**
 * Checks a downloaded snapshot before it may replace anything: `file` must hold `length` bytes
 * (the announced `Content-Length`), a whole number of `pageSize` pages, whose database checksum is `position.checksum` (the
 * primary's `X-Wasmlite-Position`). A bit flipped on the wire or on the way to the disk fails the
 * checksum, so a damaged snapshot is thrown away and never installed or read.
 *
 * Throws an Error naming what differs (the announced page size or count, or the checksum found
 * against the position's); the file is left for the caller to delete.
 *
 * @example
 * verifySnapshot('/srv/replica.db.snapshot-tmp', Position.parse(header), 4096, 49152);
 */
export function verifySnapshot(file: string, position: Position, pageSize: number, length: number): void {
  if (!isPageSize(pageSize))
    throw new Error(`GET /v1/snapshot: the announced page size ${pageSize} is not a SQLite page size`);
  const size = fs.statSync(file).size;
  if (size !== length || size % pageSize !== 0) {
    throw new Error(
      `GET /v1/snapshot: ${size} bytes on disk, ${length} announced: not a whole number of ${pageSize}-byte pages`,
    );
  }
  const checksum = databaseChecksum(file, { pageSize });
  if (checksum !== position.checksum) {
    const got = new Position(position.txid, checksum);
    throw new Error(
      `GET /v1/snapshot: the snapshot's checksum is not its position's (announced ${position}, received ${got}): discarded`,
    );
  }
}
