// The example's one migration. Migrations get an untyped Kysely: the schema is what they build.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('author')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('born', 'integer')
    .execute();
  await db.schema
    .createTable('book')
    .addColumn('id', 'integer', (col) => col.primaryKey().autoIncrement())
    .addColumn('author_id', 'integer', (col) => col.notNull().references('author.id').onDelete('cascade'))
    .addColumn('title', 'text', (col) => col.notNull().unique())
    .addColumn('year', 'integer', (col) => col.notNull())
    .addColumn('loans', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('book_author_id').on('book').column('author_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('book').execute();
  await db.schema.dropTable('author').execute();
}
