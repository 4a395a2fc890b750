// Leaves a pet whose owner does not exist: the migration must not commit.
export async function up(db) {
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .execute();
  await db.schema
    .createTable('pet')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('owner_id', 'integer', (col) => col.references('person.id'))
    .execute();
  await db.insertInto('pet').values({ id: 1, owner_id: 42 }).execute();
}

export async function down() {}
