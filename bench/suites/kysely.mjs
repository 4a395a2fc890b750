/**
 * The Kysely suite of `npm run bench`: the same Kysely queries through `WasmliteDialect` (a local
 * wasmlite client) and through Kysely's own `SqliteDialect` on better-sqlite3, in the same run.
 *
 * ```sh
 * node bench/run.mjs --only=none --suites=kysely --quick
 * ```
 *
 * `adapters/kysely/index.ts` is bundled with esbuild first (core inside, kysely external), so no
 * TypeScript loader runs in a timing. Each repetition starts one fresh `node` process per dialect
 * (this file, as a child), in alternating order; in it every workload first runs once untimed
 * (JIT and WebAssembly tier-up) and then timed. Both databases are files in WAL mode with
 * `synchronous=NORMAL`; times are medians over the repetitions.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../bundle.mjs';
import { packageVersion, ROOT } from '../repository.mjs';
import {
  busyNote,
  chosenWorkloads,
  measurePeers,
  medianMs,
  peopleAndPets,
  ratioRows,
  ratioTargets,
  serveChild,
  timeWorkloads,
} from '../peer-suite.mjs';

const BUNDLE = 'bench/.build/kysely.mjs';
/** Core alone, for the reference row that runs the join's SQL without Kysely. */
const CORE_BUNDLE = 'bench/.build/kysely-core.mjs';
const TARGET = 1.2;
const PEERS = ['better-sqlite3', 'wasmlite'];

const SIZES = {
  quick: {
    rows: 2_000,
    point: 5_000,
    range: 500,
    join: 200,
    all: 20,
    insert: 500,
    batch: 5_000,
    update: 1_000,
    reps: 3,
  },
  full: {
    rows: 10_000,
    point: 20_000,
    range: 2_000,
    join: 500,
    all: 50,
    insert: 2_000,
    batch: 20_000,
    update: 5_000,
    reps: 5,
  },
};

/** The workloads, in report order: [name, what it does]. */
/** @type {Array<[string, string]>} */
const WORKLOADS = [
  ['point', 'select one row by primary key'],
  ['range', 'select 100 rows: where, order by, limit'],
  ['join', 'join + group by + having over the table'],
  ['all', 'select every row of the table'],
  ['insert', 'insert one row, autocommit'],
  ['batch', 'insert rows in one transaction'],
  ['update', 'update one row by primary key'],
];

/** Not a Kysely workload: the join's compiled SQL on each driver's own synchronous API. */
const REFERENCE = ['join-sql', "the join's SQL without Kysely (wasmlite's `Database`, better-sqlite3)"];

// ---------------------------------------------------------------- child: one process, one dialect

async function openKysely(peer, file) {
  const { Kysely, SqliteDialect, sql } = await import('kysely');
  let db;
  if (peer === 'wasmlite') {
    const { WasmliteDialect } = await import(pathToFileURL(path.join(ROOT, BUNDLE)).href);
    db = new Kysely({ dialect: new WasmliteDialect({ url: `file:${file}` }) });
  } else {
    const { default: Database } = await import('better-sqlite3');
    db = new Kysely({ dialect: new SqliteDialect({ database: new Database(file) }) });
  }
  await sql`pragma journal_mode = wal`.execute(db);
  await sql`pragma synchronous = normal`.execute(db);
  return { db, sql };
}

async function fill(db, sql, rows) {
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('age', 'integer', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('pet')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('owner_id', 'integer', (c) => c.notNull())
    .addColumn('species', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pet_owner').on('pet').column('owner_id').execute();
  await db.schema
    .createTable('log')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('msg', 'text')
    .execute();
  await db.transaction().execute(async (trx) => {
    for (const { people, pets } of peopleAndPets(rows, { ownerKey: 'owner_id' })) {
      await trx.insertInto('person').values(people).execute();
      await trx.insertInto('pet').values(pets).execute();
    }
  });
  await sql`analyze`.execute(db);
}

function joinQuery(db, city = 'city 0') {
  return db
    .selectFrom('person')
    .innerJoin('pet', 'pet.owner_id', 'person.id')
    .select((eb) => ['pet.species', eb.fn.countAll().as('n'), eb.fn.avg('person.age').as('age')])
    .where('person.city', '=', city)
    .groupBy('pet.species')
    .having((eb) => eb.fn.countAll(), '>', 0)
    .orderBy('pet.species');
}

/** The join's compiled SQL through the driver's own synchronous API: what SQLite itself costs. */
async function joinWithoutKysely(peer, file, compiled, size) {
  let raw;
  if (peer === 'wasmlite') raw = await (await import(pathToFileURL(path.join(ROOT, CORE_BUNDLE)).href)).open(file);
  else raw = new (await import('better-sqlite3')).default(file);
  try {
    const stmt = raw.prepare(compiled.sql);
    const pass = () => {
      let sum = 0;
      for (let i = 0; i < size.join; i++) for (const row of stmt.all(`city ${i % 50}`, 0)) sum += Number(row.n);
      return sum;
    };
    pass();
    const started = performance.now();
    const check = pass();
    return { ms: performance.now() - started, check };
  } finally {
    raw.close();
  }
}

/** Each workload: `run(db, sql, size, pass)` → a checksum, the same for both dialects. */
const RUNS = {
  async point(db, _sql, s) {
    let sum = 0;
    for (let i = 0; i < s.point; i++) {
      const row = await db
        .selectFrom('person')
        .selectAll()
        .where('id', '=', ((i * 7919) % s.rows) + 1)
        .executeTakeFirst();
      sum += row.age;
    }
    return sum;
  },
  async range(db, _sql, s) {
    let sum = 0;
    for (let i = 0; i < s.range; i++) {
      const rows = await db
        .selectFrom('person')
        .select(['id', 'name', 'age'])
        .where('id', '>', (i * 31) % (s.rows - 100))
        .orderBy('id')
        .limit(100)
        .execute();
      for (const row of rows) sum += row.age;
    }
    return sum;
  },
  async join(db, _sql, s) {
    let sum = 0;
    for (let i = 0; i < s.join; i++) {
      const rows = await joinQuery(db, `city ${i % 50}`).execute();
      for (const row of rows) sum += Number(row.n);
    }
    return sum;
  },
  async all(db, _sql, s) {
    let sum = 0;
    for (let i = 0; i < s.all; i++)
      for (const row of await db.selectFrom('person').selectAll().execute()) sum += row.age;
    return sum;
  },
  async insert(db, _sql, s, pass) {
    for (let i = 0; i < s.insert; i++)
      await db
        .insertInto('log')
        .values({ msg: `${pass} ${i}` })
        .execute();
    return s.insert;
  },
  async batch(db, _sql, s, pass) {
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < s.batch; i++)
        await trx
          .insertInto('log')
          .values({ msg: `batch ${pass} ${i}` })
          .execute();
    });
    return s.batch;
  },
  async update(db, _sql, s) {
    let changed = 0;
    for (let i = 0; i < s.update; i++) {
      const r = await db
        .updateTable('person')
        .set((eb) => ({ age: eb('age', '+', 1) }))
        .where('id', '=', ((i * 104729) % s.rows) + 1)
        .executeTakeFirst();
      changed += Number(r.numUpdatedRows);
    }
    return changed;
  },
};

async function child({ peer, dir, size, keys }) {
  const file = path.join(dir, `${peer}.db`);
  const { db, sql } = await openKysely(peer, file);
  const out = {};
  let compiled;
  try {
    await fill(db, sql, size.rows);
    Object.assign(out, await timeWorkloads(WORKLOADS, keys, (name, phase) => RUNS[name](db, sql, size, phase)));
    compiled = joinQuery(db).compile();
  } finally {
    await db.destroy();
  }
  // After destroy(): the core bundle is a second copy of wasmlite, which must not find the file in use.
  out[REFERENCE[0]] = await joinWithoutKysely(peer, file, compiled, size);
  return out;
}

await serveChild(import.meta.url, child);

// ---------------------------------------------------------------- parent: the suite

export default {
  title: 'Kysely: WasmliteDialect vs SqliteDialect on better-sqlite3',
  async run({ quick, reps, cases, log }) {
    const workloads = chosenWorkloads(WORKLOADS, cases);
    const missing = (await bundle('adapters/kysely/index.ts', BUNDLE)) ?? (await bundle('core/index.ts', CORE_BUNDLE));
    if (missing) throw new Error(`wasmlite/kysely: ${missing}`);
    const size = quick ? SIZES.quick : SIZES.full;
    const repetitions = reps ?? size.reps;
    const { times, busy } = await measurePeers({
      file: import.meta.url,
      name: 'kysely',
      peers: PEERS,
      keys: [...workloads, REFERENCE].map(([w]) => w),
      size,
      repetitions,
      quietMs: quick ? 2_000 : 5_000,
      log,
    });
    const summary = ratioRows(times, workloads, 'dialects');
    const reference = (() => {
      const [w, what] = REFERENCE;
      const [base, ours] = PEERS.map((p) => medianMs(times, p, w));
      return `| ${w} | ${what} | ${base.toFixed(1)} | ${ours.toFixed(1)} | ${(ours / base).toFixed(2)}× |`;
    })();
    const version = packageVersion('kysely');
    const markdown = `Kysely ${version}: the same query builders through \`WasmliteDialect\` (a local wasmlite client, bundled from \`adapters/kysely/index.ts\`) and through Kysely's \`SqliteDialect\` on better-sqlite3, files in WAL mode with \`synchronous=NORMAL\`, ${size.rows.toLocaleString('en-US')} people and pets; one fresh process per dialect and repetition, every workload once untimed first; medians of ${repetitions}. Ratio = wasmlite ÷ better-sqlite3 (lower is better).

| workload | what | better-sqlite3 (ms) | wasmlite (ms) | ratio |
| :-- | :-- | --: | --: | --: |
${summary.rows.join('\n')}
| **geometric mean** | | | | **${summary.geomean.toFixed(2)}×** |
${reference}

The last row is a reference, not a Kysely workload: the join's compiled SQL run ${size.join} times through each driver's own synchronous API, without Kysely or the Client. Where \`join\` misses, this row shows the time goes to SQLite executing the query (WebAssembly against native code), not to the dialect.
${busyNote(busy)}`;
    return { markdown, targets: ratioTargets('Kysely', TARGET, summary) };
  },
};
