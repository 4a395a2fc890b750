/**
 * The Drizzle suite of `npm run bench`: the same Drizzle queries on wasmlite (`wasmlite/drizzle`
 * over a local client), on better-sqlite3 (`drizzle-orm/better-sqlite3`) and on @libsql/client
 * with a local file (`drizzle-orm/libsql`), in the same run.
 *
 * ```sh
 * node bench/run.mjs --only=none --suites=drizzle --quick
 * ```
 *
 * `adapters/drizzle/index.ts` is bundled with esbuild first (core inside, drizzle-orm external),
 * so no TypeScript loader runs in a timing. Each repetition starts one fresh `node` process per
 * driver (this file, as a child), in rotating order; in it every workload runs once untimed (JIT
 * and WebAssembly tier-up), then timed. All three use a file in WAL mode with
 * `synchronous=NORMAL`; times are medians over the repetitions, ratios are to better-sqlite3.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../bundle.mjs';
import { packageVersion, ROOT } from '../repository.mjs';
import {
  busyNote,
  chosenWorkloads,
  checkAgreement,
  measurePeers,
  medianMs,
  peopleAndPets,
  serveChild,
  timeWorkloads,
} from '../peer-suite.mjs';

const BUNDLE = 'bench/.build/drizzle.mjs';
const TARGET = 1.2;
const BASELINE = 'better-sqlite3';
const PEERS = ['better-sqlite3', 'wasmlite', 'libsql'];
/** The workloads the target names. */
const TARGETED = ['point', 'insert'];

const SIZES = {
  quick: {
    rows: 1_000,
    point: 2_000,
    prepared: 4_000,
    range: 150,
    relational: 80,
    insert: 1_000,
    batch: 1_500,
    update: 400,
    reps: 3,
  },
  full: {
    rows: 5_000,
    point: 6_000,
    prepared: 15_000,
    range: 600,
    relational: 200,
    insert: 2_500,
    batch: 6_000,
    update: 2_000,
    reps: 5,
  },
};

/** The workloads, in report order: [name, what it does]. */
/** @type {Array<[string, string]>} */
const WORKLOADS = [
  ['point', 'select one row by primary key (query built each time)'],
  ['prepared', 'the same through a prepared statement with a placeholder'],
  ['range', 'select 100 rows: where, order by, limit'],
  ['relational', 'db.query findMany with a nested relation, 20 people'],
  ['insert', 'insert one row, autocommit'],
  ['batch', 'insert rows in one transaction'],
  ['update', 'update one row by primary key'],
];

// ---------------------------------------------------------------- child: one process, one driver

async function openDrizzle(peer, file) {
  const { sqliteTable, integer, text } = await import('drizzle-orm/sqlite-core');
  const { relations } = await import('drizzle-orm');
  const person = sqliteTable('person', {
    id: integer('id').primaryKey(),
    name: text('name').notNull(),
    age: integer('age').notNull(),
    city: text('city').notNull(),
  });
  const pet = sqliteTable('pet', {
    id: integer('id').primaryKey(),
    ownerId: integer('owner_id').notNull(),
    species: text('species').notNull(),
  });
  const log = sqliteTable('log', { id: integer('id').primaryKey(), msg: text('msg') });
  const personRelations = relations(person, ({ many }) => ({ pets: many(pet) }));
  const petRelations = relations(pet, ({ one }) => ({
    owner: one(person, { fields: [pet.ownerId], references: [person.id] }),
  }));
  const schema = { person, pet, log, personRelations, petRelations };
  let db;
  let close;
  if (peer === 'wasmlite') {
    const { drizzle } = await import(pathToFileURL(path.join(ROOT, BUNDLE)).href);
    db = drizzle({ connection: { url: `file:${file}` }, schema });
    close = () => db.$client.close();
  } else if (peer === 'libsql') {
    const { drizzle } = await import('drizzle-orm/libsql');
    db = drizzle({ connection: { url: `file:${file}` }, schema });
    close = () => db.$client.close();
  } else {
    const { drizzle } = await import('drizzle-orm/better-sqlite3');
    db = drizzle({ connection: { source: file }, schema });
    close = () => db.$client.close();
  }
  const { sql } = await import('drizzle-orm');
  await db.run(sql`pragma journal_mode = wal`);
  await db.run(sql`pragma synchronous = normal`);
  return { db, schema, close, sync: peer === 'better-sqlite3' };
}

/**
 * Runs the queries `make(tx, i)` for i < n in one transaction: synchronously on better-sqlite3
 * (its transactions refuse a promise), each awaited elsewhere.
 */
async function inTransaction({ db, sync }, n, make) {
  if (sync) {
    db.transaction((tx) => {
      for (let i = 0; i < n; i++) make(tx, i).run();
    });
  } else {
    await db.transaction(async (tx) => {
      for (let i = 0; i < n; i++) await make(tx, i);
    });
  }
}

async function fill(ctx, rows) {
  const {
    db,
    schema: { person, pet },
  } = ctx;
  const { sql } = await import('drizzle-orm');
  await db.run(
    sql`create table person (id integer primary key, name text not null, age integer not null, city text not null)`,
  );
  await db.run(sql`create table pet (id integer primary key, owner_id integer not null, species text not null)`);
  await db.run(sql`create index pet_owner on pet (owner_id)`);
  await db.run(sql`create table log (id integer primary key, msg text)`);
  const chunks = [...peopleAndPets(rows)];
  await inTransaction(ctx, chunks.length * 2, (tx, i) => {
    const { people, pets } = chunks[i >> 1];
    return i % 2 === 0 ? tx.insert(person).values(people) : tx.insert(pet).values(pets);
  });
  await db.run(sql`analyze`);
}

/** Each workload: `run(ctx, size, pass)` → a checksum, the same for every driver. */
const RUNS = {
  async point({ db, schema: { person } }, s) {
    const { eq } = await import('drizzle-orm');
    let sum = 0;
    for (let i = 0; i < s.point; i++) {
      const row = await db
        .select()
        .from(person)
        .where(eq(person.id, ((i * 7919) % s.rows) + 1))
        .get();
      sum += row.age;
    }
    return sum;
  },
  async prepared({ db, schema: { person } }, s) {
    const { eq, sql } = await import('drizzle-orm');
    const byId = db
      .select()
      .from(person)
      .where(eq(person.id, sql.placeholder('id')))
      .prepare();
    let sum = 0;
    for (let i = 0; i < s.prepared; i++) sum += (await byId.get({ id: ((i * 7919) % s.rows) + 1 })).age;
    return sum;
  },
  async range({ db, schema: { person } }, s) {
    const { gt } = await import('drizzle-orm');
    let sum = 0;
    for (let i = 0; i < s.range; i++) {
      const rows = await db
        .select({ id: person.id, name: person.name, age: person.age })
        .from(person)
        .where(gt(person.id, (i * 31) % (s.rows - 100)))
        .orderBy(person.id)
        .limit(100);
      for (const row of rows) sum += row.age;
    }
    return sum;
  },
  async relational({ db }, s) {
    let sum = 0;
    for (let i = 0; i < s.relational; i++) {
      const start = (i * 37) % (s.rows - 20);
      const people = await db.query.person.findMany({
        where: (p, { gt }) => gt(p.id, start),
        orderBy: (p, { asc }) => asc(p.id),
        limit: 20,
        with: { pets: true },
      });
      for (const p of people) sum += p.age + p.pets.length;
    }
    return sum;
  },
  async insert({ db, schema: { log } }, s, pass) {
    for (let i = 0; i < s.insert; i++) await db.insert(log).values({ msg: `${pass} ${i}` });
    return s.insert;
  },
  async batch(ctx, s, pass) {
    const { log } = ctx.schema;
    await inTransaction(ctx, s.batch, (tx, i) => tx.insert(log).values({ msg: `batch ${pass} ${i}` }));
    return s.batch;
  },
  async update({ db, schema: { person } }, s) {
    const { eq, sql } = await import('drizzle-orm');
    let changed = 0;
    for (let i = 0; i < s.update; i++) {
      const result = await db
        .update(person)
        .set({ age: sql`${person.age} + 1` })
        .where(eq(person.id, ((i * 104729) % s.rows) + 1))
        .run();
      changed += Number(result.changes ?? result.rowsAffected);
    }
    return changed;
  },
};

async function child({ peer, dir, size, keys }) {
  const ctx = await openDrizzle(peer, path.join(dir, `${peer}.db`));
  try {
    await fill(ctx, size.rows);
    return await timeWorkloads(WORKLOADS, keys, (name, phase) => RUNS[name](ctx, size, phase));
  } finally {
    ctx.close();
  }
}

await serveChild(import.meta.url, child);

// ---------------------------------------------------------------- parent: the suite

export default {
  title: 'Drizzle: wasmlite/drizzle vs drizzle-orm/better-sqlite3 and drizzle-orm/libsql',
  async run({ quick, reps, cases, log }) {
    const workloads = chosenWorkloads(WORKLOADS, cases);
    const missing = await bundle('adapters/drizzle/index.ts', BUNDLE);
    if (missing) throw new Error(`wasmlite/drizzle: ${missing}`);
    const size = quick ? SIZES.quick : SIZES.full;
    const repetitions = reps ?? size.reps;
    const { times, busy } = await measurePeers({
      file: import.meta.url,
      name: 'drizzle',
      peers: PEERS,
      keys: workloads.map(([w]) => w),
      size,
      repetitions,
      quietMs: quick ? 2_000 : 5_000,
      log,
    });
    const rows = [];
    const ratio = {};
    for (const [w, what] of workloads) {
      checkAgreement(times, PEERS, w, 'drivers');
      const ms = Object.fromEntries(PEERS.map((p) => [p, medianMs(times, p, w)]));
      ratio[w] = ms.wasmlite / ms[BASELINE];
      const libsqlRatio = ms.libsql / ms[BASELINE];
      rows.push(
        `| ${w} | ${what} | ${ms[BASELINE].toFixed(1)} | ${ms.wasmlite.toFixed(1)} | **${ratio[w].toFixed(2)}×** | ${ms.libsql.toFixed(1)} | ${libsqlRatio.toFixed(2)}× |`,
      );
    }
    const markdown = `drizzle-orm ${packageVersion('drizzle-orm')}: the same Drizzle queries on wasmlite (\`wasmlite/drizzle\` over a local client, bundled from \`adapters/drizzle/index.ts\`), on better-sqlite3 ${packageVersion('better-sqlite3')} (\`drizzle-orm/better-sqlite3\`) and on @libsql/client ${packageVersion('@libsql/client')} with a local file (\`drizzle-orm/libsql\`); files in WAL mode with \`synchronous=NORMAL\`, ${size.rows.toLocaleString('en-US')} people and pets; one fresh process per driver and repetition, every workload once untimed first; medians of ${repetitions}. Ratios are to better-sqlite3 (lower is better).

| workload | what | better-sqlite3 (ms) | wasmlite (ms) | wasmlite ratio | libsql (ms) | libsql ratio |
| :-- | :-- | --: | --: | --: | --: | --: |
${rows.join('\n')}
${busyNote(busy)}`;
    return {
      markdown,
      targets: TARGETED.filter((w) => w in ratio).map((w) => [
        `Drizzle on wasmlite within ${TARGET}× of Drizzle on better-sqlite3: ${WORKLOADS.find(([n]) => n === w)?.[1]}`,
        `${ratio[w].toFixed(2)}×`,
        ratio[w] <= TARGET,
      ]),
    };
  },
};
