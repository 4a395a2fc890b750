/**
 * The bytes a replica receives on the log stream against the page bytes the records carry.
 */
import net from 'node:net';
import { BUNDLE } from '../bundle-path.mjs';
import { VALUE } from '../workload.mjs';

const { HttpTransport, Position, TxRecord } = await import(BUNDLE);

/**
 * Bytes a replica receives for a mix of transactions: reads `GET /v1/log?from=` twice, once on a
 * raw TCP socket counting every byte that arrives (HTTP headers and chunk framing included) and
 * once with fetch decoding every frame (`TxRecord.decode`: pages × page size). The writes: `small`
 * inserts of a 100-character row, `small / 2` rewrites of a 3000-byte blob (one row a page) and
 * `small / 20` transactions rewriting 20 such rows.
 */
export async function streamBytes({ url, small }) {
  const t = new HttpTransport({ syncUrl: url });
  const exec = (sql, args = []) => t.execute({ sql, args });
  await exec('CREATE TABLE IF NOT EXISTS bytes_rows (id INTEGER PRIMARY KEY, v TEXT)');
  await exec('CREATE TABLE IF NOT EXISTS bytes_pages (id INTEGER PRIMARY KEY, b BLOB)');
  await exec(
    'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400) INSERT INTO bytes_pages (id, b) SELECT i, randomblob(3000) FROM c',
  );
  const status = /** @type {{ position: string }} */ (await (await fetch(`${url}/status`)).json());
  const from = Position.parse(status.position).txid + 1n;
  const target = new URL(url);

  let wireBytes = 0;
  const socket = net.connect(Number(target.port), target.hostname);
  socket.on('data', (chunk) => (wireBytes += chunk.length));
  socket.on('error', () => {});
  socket.write(`GET /v1/log?from=${from} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);

  const controller = new AbortController();
  const response = await fetch(`${url}/v1/log?from=${from}`, { signal: controller.signal });
  let bodyBytes = 0;
  let records = 0;
  let pages = 0;
  let pageBytes = 0;
  let lastTxid = 0n;
  let buffered = new Uint8Array(0);
  let onRecord;
  const reading = (async () => {
    try {
      for await (const chunk of response.body ?? []) {
        bodyBytes += chunk.length;
        const joined = new Uint8Array(buffered.length + chunk.length);
        joined.set(buffered);
        joined.set(chunk, buffered.length);
        let at = 0;
        while (joined.length - at >= 4) {
          const length = new DataView(joined.buffer, joined.byteOffset + at).getUint32(0);
          if (joined.length - at - 4 < length) break;
          if (length > 0) {
            const record = TxRecord.decode(joined.subarray(at + 4, at + 4 + length));
            records++;
            pages += record.pages.length;
            pageBytes += record.pages.length * record.pageSize;
            lastTxid = record.txid;
          }
          at += 4 + length;
        }
        buffered = joined.slice(at);
        onRecord?.();
      }
    } catch {
      // aborted at the end
    }
  })();

  const blob = () => new Uint8Array(3000).map(() => (Math.random() * 256) | 0);
  let position;
  for (let i = 0; i < small; i++) position = (await exec('INSERT INTO bytes_rows (v) VALUES (?)', [VALUE])).position;
  for (let i = 0; i < small / 2; i++)
    position = (await exec('UPDATE bytes_pages SET b = ? WHERE id = ?', [blob(), 1 + (i % 400)])).position;
  for (let i = 0; i < small / 20; i++) {
    const stmts = Array.from({ length: 20 }, (_, k) => ({
      sql: 'UPDATE bytes_pages SET b = ? WHERE id = ?',
      args: [blob(), 1 + ((i * 20 + k) % 400)],
    }));
    position = (await t.batch(stmts, 'write')).position;
  }
  const last = Position.parse(position).txid;
  const deadline = performance.now() + 20_000;
  while (lastTxid < last && performance.now() < deadline) await new Promise((resolve) => (onRecord = resolve));
  // The raw socket gets the same bytes plus the HTTP framing: wait until it stops growing.
  for (let seen = -1; seen !== wireBytes && performance.now() < deadline;) {
    seen = wireBytes;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  controller.abort();
  socket.destroy();
  await reading;
  t.close();
  return {
    wireBytes,
    bodyBytes,
    records,
    pages,
    pageBytes,
    complete: lastTxid >= last,
    transactions: Number(last - from) + 1,
  };
}
