/**
 * A big database, and a new replica bootstrapping from its snapshot.
 */
import fs from 'node:fs';
import { BUNDLE } from '../bundle-path.mjs';

const { HttpPrimaryFeed, Replica, ReplicaFollower, open } = await import(BUNDLE);

/** Builds a database of `mib` MiB for the snapshot measurement: 1 MiB zero blobs, no journal, no fsync. */
export async function buildBig({ path: file, mib }) {
  const t0 = performance.now();
  const db = await open(file, { journalMode: 'off' });
  db.pragma('synchronous = OFF');
  db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB)');
  db.prepare(
    'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) INSERT INTO big (id, b) SELECT i, zeroblob(1048576) FROM c',
  ).run(mib);
  db.close();
  return { ms: performance.now() - t0, bytes: fs.statSync(file).size };
}

/**
 * A new replica bootstrapping from the primary's snapshot: `ReplicaFollower.start` → `ready()`
 * (snapshot downloaded, written with fsync, every page checksummed by `Replica.open`) → a reader
 * connection's first query. Then, for the split, `Replica.open` of the file alone (it checksums
 * every page, as the bootstrap's did) and a bare download of the snapshot's first
 * `sampleBytes` (fetch, bytes counted and dropped): the rate the primary serves it at.
 */
export async function bootstrap({ url, path: file, expectRows, sampleBytes }) {
  const t0 = performance.now();
  const follower = ReplicaFollower.start({ path: file, feed: new HttpPrimaryFeed({ syncUrl: url }), log: () => {} });
  await follower.ready();
  const readyMs = performance.now() - t0;
  const reader = await open(file);
  const rows = reader.prepare('SELECT count(*) FROM big').pluck().get();
  const firstReadMs = performance.now() - t0;
  reader.close();
  await follower.close();
  const rssAfterBootstrapMiB = process.resourceUsage().maxRSS / 1024;
  // Opening the replica again redoes the checksum of every page that the bootstrap's open did.
  const t0Open = performance.now();
  (await Replica.open(file)).close();
  const openMs = performance.now() - t0Open;
  // The stream alone, up to `sampleBytes`: how fast the primary serves a snapshot.
  const controller = new AbortController();
  const t1 = performance.now();
  const response = await fetch(`${url}/v1/snapshot`, { signal: controller.signal });
  const firstByteMs = performance.now() - t1;
  let bytes = 0;
  try {
    for await (const chunk of response.body ?? []) {
      bytes += chunk.length;
      if (bytes >= sampleBytes) break;
    }
  } finally {
    controller.abort();
  }
  const downloadMs = performance.now() - t1;
  return {
    readyMs,
    firstReadMs,
    openMs,
    rows: Number(rows),
    rowsOk: Number(rows) === expectRows,
    rssAfterBootstrapMiB,
    firstByteMs,
    downloadMs,
    bytes,
    fileBytes: fs.statSync(file).size,
  };
}
