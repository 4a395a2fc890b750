import type { ServerResponse } from 'node:http';
import { LogCorruptionError } from '../log/index.ts';
import { FEED_HEADERS } from './feed-headers.ts';
import type { LogRetention } from '../primary/log-retention.ts';
import type { PrimaryDatabase } from '../primary/primary-database.ts';
import { RequestError } from '../primary/request-error.ts';

const HEARTBEAT = new Uint8Array(4);

/** One frame of the log stream: the 4-byte big-endian length, then the record's bytes. */
function frame(bytes: Uint8Array): Uint8Array[] {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, bytes.length);
  return [header, bytes];
}

/**
 * Serves `GET /v1/log?from=<txid>`: the encoded records from `from` on, each as a frame (4-byte
 * big-endian length, then `TxRecord.encode` bytes), then each new record as soon as it commits,
 * and a zero-length frame (heartbeat) after `heartbeatMs` without one. Honours backpressure.
 * Throws a {@link RequestError} before anything is sent: 410 (`{ firstTxid }`) if `from` is
 * older than the log (`LOG_COMPACTED`) or at or before a damaged record (`LOG_DAMAGED`), 409 if
 * it is more than one past the primary's position. A damaged record met while streaming is
 * noted in `primary.logDamage` and ends the response. While it is
 * connected, `retention` keeps every record it has yet to send.
 *
 * @example
 * streamLog(response, primary, retention, 8n, 5000, 'async', () => streams--);
 */
export function streamLog(
  res: ServerResponse,
  primary: PrimaryDatabase,
  retention: LogRetention,
  from: bigint,
  heartbeatMs: number,
  durability: 'async' | 'quorum',
  onEnd: () => void,
): void {
  const log = primary.log;
  // An empty log has none of the primary's history (a promoted replica's starts after it).
  const first = log.firstTxid() ?? primary.position().txid + 1n;
  if (from < first) {
    throw new RequestError('LOG_COMPACTED', `txid ${from} is no longer in the log: fetch a snapshot`, {
      firstTxid: first.toString(),
    });
  }
  const damaged = primary.logDamage.lastTxid();
  if (damaged !== undefined && from <= damaged) {
    throw new RequestError(
      'LOG_DAMAGED',
      `record ${damaged} of the primary's log is damaged, txid ${from} on cannot be sent: fetch a snapshot`,
      {
        firstTxid: (damaged + 1n).toString(),
      },
    );
  }
  const position = primary.position();
  if (from > position.txid + 1n) {
    throw new RequestError('FROM_AHEAD', `txid ${from} is ahead of the primary's position ${position}`);
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'cache-control': 'no-store',
    [FEED_HEADERS.position]: position.toString(),
    [FEED_HEADERS.dbId]: primary.dbId,
    // In quorum mode writes wait for replicas' reports: a replica then reports each apply at once.
    [FEED_HEADERS.durability]: durability,
  });
  res.flushHeaders();
  let next = from;
  const hold = retention.hold(from);
  let waiting = false;
  let sent = false;
  let ended = false;

  const pump = (): void => {
    if (waiting || ended) return;
    try {
      for (const bytes of log.readEncodedFrom(next)) {
        next++;
        hold.next = next;
        sent = true;
        let ok = true;
        for (const part of frame(bytes)) ok = res.write(part) && ok;
        if (!ok) {
          waiting = true;
          res.once('drain', () => {
            waiting = false;
            pump();
          });
          return;
        }
      }
    } catch (error) {
      // A damaged record (found now, if the start-up scan did not): the replica reconnects and
      // is sent to a snapshot, like one the log was compacted past, or the log closed.
      if (error instanceof LogCorruptionError) primary.logDamage.note(next, error);
      res.destroy();
    }
  };
  const stopListening = primary.onRecord(pump);
  const heartbeat = setInterval(() => {
    if (!sent && !waiting) res.write(HEARTBEAT);
    sent = false;
  }, heartbeatMs);
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    stopListening();
    hold.release();
    onEnd();
  };
  res.on('close', end);
  res.on('error', end);
  pump();
}
