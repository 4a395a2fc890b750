// A migration that fails half-way: its first statement must not stay applied.
export async function up(db) {
  await db.schema.createTable('half').addColumn('id', 'integer').execute();
  await db.schema.createTable('person').addColumn('id', 'integer').execute();
}

export async function down(db) {
  await db.schema.dropTable('half').execute();
}
