/**
 * What every case of the shared Kysely suite starts from: a `Kysely<Database>` on a wasmlite
 * client of the given kind, and the person / pet / toy schema of Kysely's own test suite.
 */
import { Kysely, sql, type Generated } from 'kysely';
import { afterEach } from 'vitest';
import { WasmliteDialect } from '../../../../adapters/kysely/index.ts';
import type { Config } from '../../../../core/index.ts';
import { useClients, type ClientFixture, type ClientKind } from '../../support/clients.ts';

export interface Person {
  id: Generated<number>;
  first_name: string | null;
  middle_name: string | null;
  last_name: string | null;
  gender: 'male' | 'female' | 'other';
  marital_status: 'single' | 'married' | null;
  children: Generated<number>;
}

export interface Pet {
  id: Generated<number>;
  name: string;
  owner_id: number;
  species: 'dog' | 'cat' | 'hamster';
}

export interface Toy {
  id: Generated<number>;
  name: string;
  price: number;
  pet_id: number;
}

export interface Database {
  person: Person;
  pet: Pet;
  toy: Toy;
}

export interface Opened {
  readonly db: Kysely<Database>;
  readonly fixture: ClientFixture;
  /** Another Kysely on the same data: through another client in replica mode, the same client locally. */
  another(): Kysely<Database>;
}

/** Opens Kysely instances for the calling test file and destroys them after each test. */
export function useKysely(): { open(kind: ClientKind, options?: Partial<Config>): Promise<Opened> } {
  const clients = useClients();
  const dbs: Kysely<Database>[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.destroy();
  });
  const kysely = (client: ClientFixture['client']) => {
    const db = new Kysely<Database>({ dialect: new WasmliteDialect({ client }) });
    dbs.push(db);
    return db;
  };
  return {
    async open(kind, options) {
      const fixture = await clients.open(kind, options);
      const db = kysely(fixture.client);
      // A local database file has one owner process; in that process, a second client on the
      // same file would wait for the first one's lock in the same thread. Replicas are the case
      // of several writers, so there the other Kysely has its own client.
      return { db, fixture, another: () => kysely(kind === 'replica' ? fixture.another() : fixture.client) };
    },
  };
}

/** Creates the person / pet / toy tables (as Kysely's test suite does). */
export async function createSchema(db: Kysely<Database>): Promise<void> {
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('first_name', 'varchar(255)')
    .addColumn('middle_name', 'varchar(255)')
    .addColumn('last_name', 'varchar(255)')
    .addColumn('gender', 'varchar(50)', (col) => col.notNull())
    .addColumn('marital_status', 'varchar(50)')
    .addColumn('children', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('pet')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(255)', (col) => col.unique().notNull())
    .addColumn('owner_id', 'integer', (col) => col.references('person.id').onDelete('cascade').notNull())
    .addColumn('species', 'varchar(50)', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('toy')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('name', 'varchar(255)', (col) => col.notNull())
    .addColumn('price', 'double precision', (col) => col.notNull())
    .addColumn('pet_id', 'integer', (col) => col.references('pet.id').notNull())
    .execute();
  await db.schema.createIndex('pet_owner_id_index').on('pet').column('owner_id').execute();
}

/** Jennifer Aniston (Catto the cat), Arnold Schwarzenegger (Doggo the dog), Sylvester Stallone (Hammo the hamster). */
export async function insertDefaultData(db: Kysely<Database>): Promise<void> {
  const people = [
    {
      first_name: 'Jennifer',
      last_name: 'Aniston',
      gender: 'female' as const,
      pet: { name: 'Catto', species: 'cat' as const },
      toy: { name: 'Ball', price: 9.5 },
    },
    {
      first_name: 'Arnold',
      last_name: 'Schwarzenegger',
      gender: 'male' as const,
      pet: { name: 'Doggo', species: 'dog' as const },
      toy: undefined,
    },
    {
      first_name: 'Sylvester',
      last_name: 'Stallone',
      gender: 'male' as const,
      pet: { name: 'Hammo', species: 'hamster' as const },
      toy: undefined,
    },
  ];
  for (const { pet, toy, ...person } of people) {
    const { id } = await db
      .insertInto('person')
      .values({ ...person, middle_name: null, marital_status: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const owned = await db
      .insertInto('pet')
      .values({ ...pet, owner_id: id })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (toy)
      await db
        .insertInto('toy')
        .values({ ...toy, pet_id: owned.id })
        .execute();
  }
}

/** Opens a Kysely with the schema and the default rows. */
export async function openSeeded(
  kysely: ReturnType<typeof useKysely>,
  kind: ClientKind,
  options?: Partial<Config>,
): Promise<Opened> {
  const opened = await kysely.open(kind, options);
  await createSchema(opened.db);
  await insertDefaultData(opened.db);
  return opened;
}

/** How many rows a table has. */
export async function count(db: Kysely<any>, table: string): Promise<number> {
  const { n } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`
    .execute(db)
    .then((r) => r.rows[0]!);
  return n;
}
