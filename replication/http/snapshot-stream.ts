import type { ServerResponse } from 'node:http';
import { open, type Database } from '../../core/index.ts';
import type { Position } from '../log/index.ts';
import type { PrimaryDatabase } from '../primary/primary-database.ts';
import type { WriterLock } from '../primary/writer-lock.ts';
import { FEED_HEADERS } from './feed-headers.ts';

/** Pages read from SQLite and written to the response at a time (1 MiB at 4 KiB pages). */
const CHUNK_PAGES = 256;

/**
 * Answers `GET /v1/snapshot` with the database's pages, streamed: a read transaction on a
 * connection of its own is begun between two writes (under the writer lock, so it and the
 * position agree), then its pages are sent in chunks while writes go on; WAL keeps the reader's
 * snapshot intact until it ends. Memory stays at one chunk whatever the database's size, and the
 * response's `content-length` is exact, so a replica can tell a cut-off snapshot.
 *
 * @example
 * await streamSnapshot(res, primary, lock);
 */
export async function streamSnapshot(res: ServerResponse, primary: PrimaryDatabase, lock: WriterLock): Promise<void> {
  const reader = await open(primary.path, { readonly: true });
  let inTransaction = false;
  try {
    let position: Position;
    let pageCount: number;
    let pageSize: number;
    const release = await lock.acquire();
    try {
      reader.exec('BEGIN');
      inTransaction = true;
      // The first read fixes the transaction's snapshot: the database as of the last commit.
      pageCount = Number(reader.pragma('page_count', { simple: true }));
      pageSize = Number(reader.pragma('page_size', { simple: true }));
      position = primary.position();
    } finally {
      release();
    }
    // What a replica bootstrapped from this snapshot shows `POST /v1/ack` to confirm its position.
    const proof = position.txid === 0n ? undefined : primary.log.recordProof(position.txid);
    res.writeHead(200, {
      'content-type': 'application/vnd.sqlite3',
      'content-length': pageCount * pageSize,
      [FEED_HEADERS.position]: position.toString(),
      [FEED_HEADERS.dbId]: primary.dbId,
      [FEED_HEADERS.pageSize]: pageSize,
      ...(proof === undefined ? {} : { [FEED_HEADERS.proof]: proof }),
    });
    await sendPages(res, reader, pageCount);
    res.end();
  } finally {
    if (inTransaction) reader.exec('COMMIT');
    reader.close();
  }
}

/**
 * One pass over `sqlite_dbpage`, stepped a chunk at a time: a range query per chunk would scan
 * the virtual table from the start each time (it has no pgno constraint plan), quadratic in the
 * database's size.
 */
async function sendPages(res: ServerResponse, reader: Database, pageCount: number): Promise<void> {
  const rows = reader.prepare('SELECT pgno, data FROM sqlite_dbpage').raw().iterate() as IterableIterator<
    [number, Uint8Array]
  >;
  let expected = 1;
  try {
    while (expected <= pageCount) {
      const pages: Uint8Array[] = [];
      for (let n = 0; n < CHUNK_PAGES && expected <= pageCount; n++, expected++) {
        const next = rows.next();
        if (next.done === true || next.value[0] !== expected)
          throw new Error(
            `sqlite_dbpage returned ${next.done === true ? 'no page' : `page ${next.value[0]}`} where page ${expected} was due`,
          );
        pages.push(next.value[1]);
      }
      if (res.destroyed) throw new Error('the client went away during the snapshot');
      if (!res.write(Buffer.concat(pages))) await drained(res);
    }
  } finally {
    rows.return?.();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', gone);
      resolve();
    };
    const gone = (): void => {
      res.off('drain', done);
      reject(new Error('the client went away during the snapshot'));
    };
    res.once('drain', done);
    res.once('close', gone);
  });
}
