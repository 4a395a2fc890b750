import { pageChecksum, Position } from '../log/index.ts';
import { generationName, snapshotName, type Generation } from './archive-names.ts';
import type { BackupTarget } from './backup-target.ts';
import { encodeSnapshotHeader } from './snapshot-header.ts';

/**
 * Streams `body`, the pages of a snapshot, checking them as they pass: their database checksum
 * must be `checksum` and their bytes `length`. Throws at the end otherwise, so that the upload
 * that consumes it fails and publishes nothing.
 */
async function* checkedPages(
  body: AsyncIterable<Uint8Array>,
  pageSize: number,
  length: number,
  checksum: bigint,
): AsyncGenerator<Uint8Array> {
  let sum = 0n;
  let pgno = 1;
  let carry = Buffer.alloc(0);
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    const bytes = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    const whole = bytes.length - (bytes.length % pageSize);
    for (let at = 0; at < whole; at += pageSize) sum ^= pageChecksum(pgno++, bytes.subarray(at, at + pageSize));
    carry = Buffer.from(bytes.subarray(whole));
    yield chunk;
  }
  if (received !== length) throw new Error(`GET /v1/snapshot: the body ended after ${received} of ${length} bytes`);
  if (carry.length !== 0 || sum !== checksum)
    throw new Error(`GET /v1/snapshot: the pages received do not have the announced checksum: discarded`);
}

/**
 * Fetches the primary's `GET /v1/snapshot` and stores it in `generation` as a snapshot object
 * (FORMAT.md, "Snapshot object"): the 64-byte header, then the pages as they arrive (memory stays
 * at one network chunk), checked against the announced position on the way. Returns the object's
 * name and position, or `undefined` if the primary's database is empty or of another identity
 * (nothing to store). Throws if the request, the check or the upload fails; nothing is then
 * published.
 *
 * @example
 * const stored = await uploadSnapshot(target, generation, 'http://127.0.0.1:7878', headers, signal);
 */
export async function uploadSnapshot(
  target: BackupTarget,
  generation: Generation,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ readonly object: string; readonly position: Position } | undefined> {
  // Aborted on any failure, so that a body no one reads is not left open.
  const local = new AbortController();
  const stop = (): void => local.abort();
  signal.addEventListener('abort', stop, { once: true });
  try {
    return await upload(target, generation, url, headers, local.signal);
  } catch (error) {
    local.abort();
    throw error;
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

async function upload(
  target: BackupTarget,
  generation: Generation,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ readonly object: string; readonly position: Position } | undefined> {
  const response = await fetch(`${url}/v1/snapshot`, { headers, signal });
  if (response.status !== 200 || response.body === null)
    throw new Error(`GET /v1/snapshot: HTTP ${response.status} ${await response.text()}`);
  const asOf = Date.now();
  const position = Position.parse(response.headers.get('x-wasmlite-position') ?? '');
  const dbId = response.headers.get('x-wasmlite-db-id') ?? '';
  const pageSize = Number(response.headers.get('x-wasmlite-page-size'));
  const length = Number(response.headers.get('content-length'));
  if (dbId !== generation.dbId || length === 0) {
    await response.body.cancel();
    return undefined;
  }
  if (!Number.isSafeInteger(length) || length % pageSize !== 0)
    throw new Error(`GET /v1/snapshot: ${length} bytes is not a whole number of ${pageSize}-byte pages`);
  const header = encodeSnapshotHeader({ dbId, position, asOf, pageSize, pageCount: length / pageSize });
  const pages = checkedPages(
    response.body as unknown as AsyncIterable<Uint8Array>,
    pageSize,
    length,
    position.checksum,
  );
  const object = snapshotName(generationName(generation), { position, asOf });
  await target.put(object, {
    length: header.length + length,
    chunks: (async function* () {
      yield header;
      yield* pages;
    })(),
  });
  return { object, position };
}
