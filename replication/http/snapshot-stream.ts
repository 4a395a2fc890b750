import type { ServerResponse } from 'node:http';
import { Position } from '../log/index.ts';
import type { PrimaryDatabase } from '../primary/primary-database.ts';
import type { EngineThread } from './engine-thread.ts';
import { FEED_HEADERS } from './feed-headers.ts';

/**
 * Answers `GET /v1/snapshot` with the database's pages, streamed: the engine worker begins a read
 * transaction on a connection of its own between two writes (under the writer lock, so it and the
 * position agree), then its pages come over in chunks of 1 MiB, one chunk asked for at a time and
 * written to the response (honouring backpressure) while writes go on; WAL keeps the reader's
 * snapshot intact until it ends. Memory stays at one chunk whatever the database's size, and the
 * response's `content-length` is exact, so a replica can tell a cut-off snapshot.
 *
 * @example
 * await streamSnapshot(res, primary, engine);
 */
export async function streamSnapshot(
  res: ServerResponse,
  primary: PrimaryDatabase,
  engine: EngineThread,
): Promise<void> {
  const first = await engine.call({ op: 'snapshotBegin' });
  const { id, pageCount, pageSize } = first.snapshot!;
  let done = first.done === true;
  try {
    const position = new Position(first.snapshot!.position.txid, first.snapshot!.position.checksum);
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
    let chunk = first.chunk!;
    for (;;) {
      if (res.destroyed) throw new Error('the client went away during the snapshot');
      if (done) break;
      if (!res.write(chunk)) await drained(res);
      const next = await engine.call({ op: 'snapshotRead', snapshot: id });
      chunk = next.chunk!;
      done = next.done === true;
    }
    res.end(chunk);
  } finally {
    if (!done) await engine.call({ op: 'snapshotEnd', snapshot: id }).catch(() => undefined);
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
