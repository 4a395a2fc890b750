// The database as Kysely sees it: one interface per table, `Generated` for columns SQLite fills in.
import type { Generated, Insertable, Selectable } from 'kysely';

export interface AuthorTable {
  id: Generated<number>;
  name: string;
  born: number | null;
}

export interface BookTable {
  id: Generated<number>;
  author_id: number;
  title: string;
  year: number;
  /** Times borrowed; upserts add to it. */
  loans: Generated<number>;
}

export interface Database {
  author: AuthorTable;
  book: BookTable;
}

export type Author = Selectable<AuthorTable>;
export type NewBook = Insertable<BookTable>;
