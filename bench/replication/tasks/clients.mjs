/**
 * The replica client measured as an application uses it: forwarded writes with read-your-writes,
 * and local reads against a plain local client.
 */
import { BUNDLE } from '../bundle-path.mjs';
import { median, percentiles } from '../../stats.mjs';
import { FILL_READS, VALUE } from '../workload.mjs';

const { createClient, open, ReplicaClient, ReplicaFollower, HttpPrimaryFeed, HttpTransport } = await import(BUNDLE);

/**
 * A replica client (`createClient({ url: 'file:…', syncUrl })`) doing `INSERT` (forwarded to the
 * primary) then `SELECT` of that row (local, after waiting for the insert to be applied: read-your-
 * writes), `n` times after 100 untimed. Returns the write, read and total latencies. With
 * `replicaSync: false` the client is built from the parts `createClient` uses, but with a
 * `ReplicaFollower` whose applies are not durable (`sync: false`).
 */
export async function readYourWrites({ url, path: file, n, replicaSync = true }) {
  const client = replicaSync
    ? createClient({ url: `file:${file}`, syncUrl: url })
    : new ReplicaClient(
        file,
        ReplicaFollower.start({ path: file, feed: new HttpPrimaryFeed({ syncUrl: url }), sync: false, log: () => {} }),
        new HttpTransport({ syncUrl: url }),
        {
          intMode: 'number',
          open: {},
          readYourWrites: true,
          readYourWritesTimeout: 5000,
          onReplicaLag: 'primary',
          bookmark: undefined,
        },
      );
  await client.sync();
  const write = [];
  const read = [];
  const total = [];
  let wrong = 0;
  for (let i = -100; i < n; i++) {
    const t0 = performance.now();
    const w = await client.execute({ sql: 'INSERT INTO ryw (v) VALUES (?)', args: [VALUE] });
    const t1 = performance.now();
    const r = await client.execute({ sql: 'SELECT v FROM ryw WHERE id = ?', args: [w.lastInsertRowid] });
    const t2 = performance.now();
    if (r.rows.length !== 1 || r.rows[0].v !== VALUE) wrong++;
    if (i < 0) continue;
    write.push(t1 - t0);
    read.push(t2 - t1);
    total.push(t2 - t0);
  }
  client.close();
  return { write: percentiles(write), read: percentiles(read), total: percentiles(total), wrong };
}

/**
 * Point selects `SELECT v FROM reads WHERE id = ?`, `ops` awaited one after the other, on a
 * replica client and on a plain local client of the same rows (and, for scale, a synchronous
 * prepared `Database` statement), in alternating rounds after a warm-up pass. Medians of the rounds.
 */
export async function reads({ url, replicaPath, localPath, rows, ops, rounds }) {
  const local = createClient({ url: `file:${localPath}` });
  await local.execute('CREATE TABLE reads (id INTEGER PRIMARY KEY, v TEXT)');
  await local.execute({ sql: FILL_READS, args: [rows] });
  const replica = createClient({ url: `file:${replicaPath}`, syncUrl: url });
  await replica.sync();
  const db = await open(localPath);
  const get = db.prepare('SELECT v FROM reads WHERE id = ?').pluck();
  const sql = 'SELECT v FROM reads WHERE id = ?';
  const id = (i) => 1 + ((i * 7919) % rows);
  const passes = {
    replica: async () => {
      let n = 0;
      for (let i = 0; i < ops; i++) n += (await replica.execute({ sql, args: [id(i)] })).rows[0].v.length;
      return n;
    },
    local: async () => {
      let n = 0;
      for (let i = 0; i < ops; i++) n += (await local.execute({ sql, args: [id(i)] })).rows[0].v.length;
      return n;
    },
    database: async () => {
      let n = 0;
      for (let i = 0; i < ops; i++) n += get.get(id(i)).length;
      return n;
    },
  };
  const times = { replica: [], local: [], database: [] };
  const checks = new Set();
  for (let round = -1; round < rounds; round++) {
    const order = round % 2 === 0 ? ['replica', 'local', 'database'] : ['local', 'replica', 'database'];
    for (const kind of order) {
      const t0 = performance.now();
      checks.add(await passes[kind]());
      if (round >= 0) times[kind].push(performance.now() - t0);
    }
  }
  db.close();
  local.close();
  replica.close();
  const perSecond = (kind) => ops / (median(times[kind]) / 1000);
  return {
    replica: perSecond('replica'),
    local: perSecond('local'),
    database: perSecond('database'),
    sameRows: checks.size === 1,
  };
}
