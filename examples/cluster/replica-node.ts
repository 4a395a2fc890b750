/**
 * A replica as a cluster node: `replica-node.ts <replica file> <primary url>`, token in
 * `WASMLITE_TOKEN`. One replica client (`createClient({ url: 'file:…', syncUrl })`) serves the
 * calls: `execute` (with the wall-clock time of its acknowledgement), `batch`, `readAt` (wait
 * for a bookmark, then read), `appliedAt` (the wall-clock time at which a txid is applied here),
 * `position`, `sync`, `bookmark`, `close`.
 */
import { ReplicaClient, type InStatement, type ResultSet, type TransactionMode } from 'wasmlite';
import { HttpPrimaryFeed, HttpTransport, Position, ReplicaFollower } from 'wasmlite/replication';
import { serveCalls } from './serve-calls.ts';

const [path, syncUrl] = process.argv.slice(2);
const authToken = process.env.WASMLITE_TOKEN;

// The client `createClient({ url: 'file:…', syncUrl, authToken })` makes, built from its parts so
// that the follower is at hand to wait on positions directly.
const follower = ReplicaFollower.start({ path: path!, feed: new HttpPrimaryFeed({ syncUrl: syncUrl!, authToken }) });
const client = new ReplicaClient(path!, follower, new HttpTransport({ syncUrl: syncUrl!, authToken }), {
  intMode: 'number',
  open: {},
  readYourWrites: true,
  readYourWritesTimeout: 5000,
  onReplicaLag: 'primary',
  bookmark: undefined,
});
await follower.ready();

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Rows as plain objects, so that they cross the IPC channel with their column names. */
function plain(rs: ResultSet): {
  rows: Array<Record<string, unknown>>;
  rowsAffected: number;
  lastInsertRowid: bigint | undefined;
} {
  return {
    rows: rs.rows.map((row) => Object.fromEntries(rs.columns.map((column, i) => [column, row[i]]))),
    rowsAffected: rs.rowsAffected,
    lastInsertRowid: rs.lastInsertRowid,
  };
}

serveCalls(follower.position().toString(), {
  execute: async (stmt: InStatement) => {
    const rs = await client.execute(stmt);
    return { ...plain(rs), bookmark: client.bookmark, ackedAt: now() };
  },
  batch: async (stmts: InStatement[], mode?: TransactionMode) => ({
    results: (await client.batch(stmts, mode)).map(plain),
    bookmark: client.bookmark,
  }),
  readAt: async (bookmark: string, stmt: InStatement) => {
    await follower.waitFor(bookmark, 10_000);
    return plain(await client.execute(stmt));
  },
  appliedAt: async (txid: bigint) => {
    // Any position past txid - 1 (the checksum of txid itself is not known here).
    await follower.waitFor(new Position(txid - 1n, 0n), 10_000);
    return now();
  },
  position: () => follower.position().toString(),
  sync: async () => ((await client.sync()) as { position: string }).position,
  bookmark: () => client.bookmark,
  close: async () => {
    client.close();
    await follower.close();
  },
});
