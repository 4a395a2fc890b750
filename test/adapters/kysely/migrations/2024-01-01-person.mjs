// A migration for the shared Kysely suite: plain ESM, as Kysely's FileMigrationProvider imports it.
export async function up(db) {
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db) {
  await db.schema.dropTable('person').execute();
}
