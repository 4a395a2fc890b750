// A migration for the shared Kysely suite: a second table, and a row (each migration runs once).
export async function up(db) {
  await db.schema
    .createTable('pet')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('owner_id', 'integer', (col) => col.references('person.id'))
    .execute();
  await db.insertInto('person').values({ id: 1, name: 'first' }).execute();
}

export async function down(db) {
  await db.schema.dropTable('pet').execute();
  await db.deleteFrom('person').where('id', '=', 1).execute();
}
