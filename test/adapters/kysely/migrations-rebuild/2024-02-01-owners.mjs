// People and their pets; deleting a person deletes their pets.
export async function up(db) {
  await db.schema
    .createTable('person')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('name', 'text')
    .execute();
  await db.schema
    .createTable('pet')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('owner_id', 'integer', (col) => col.notNull().references('person.id').onDelete('cascade'))
    .execute();
  await db.insertInto('person').values({ id: 1, name: 'Ada' }).execute();
  await db.insertInto('pet').values({ id: 1, owner_id: 1 }).execute();
}

export async function down(db) {
  await db.schema.dropTable('pet').execute();
  await db.schema.dropTable('person').execute();
}
