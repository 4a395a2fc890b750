/** A small relational schema (authors, books, reviews) for db.query.* tests. */
import { relations } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const authors = sqliteTable('authors', {
  id: integer('id').primaryKey(),
  name: text('name').notNull(),
  mentorId: integer('mentor_id'),
});

export const books = sqliteTable('books', {
  id: integer('id').primaryKey(),
  title: text('title').notNull(),
  authorId: integer('author_id').notNull(),
  published: integer('published', { mode: 'timestamp' }),
});

export const reviews = sqliteTable('reviews', {
  id: integer('id').primaryKey(),
  bookId: integer('book_id').notNull(),
  stars: integer('stars').notNull(),
  liked: integer('liked', { mode: 'boolean' }).notNull().default(true),
});

export const authorsRelations = relations(authors, ({ one, many }) => ({
  books: many(books),
  mentor: one(authors, { fields: [authors.mentorId], references: [authors.id] }),
}));
export const booksRelations = relations(books, ({ one, many }) => ({
  author: one(authors, { fields: [books.authorId], references: [authors.id] }),
  reviews: many(reviews),
}));
export const reviewsRelations = relations(reviews, ({ one }) => ({
  book: one(books, { fields: [reviews.bookId], references: [books.id] }),
}));

export const library = { authors, books, reviews, authorsRelations, booksRelations, reviewsRelations };

export const LIBRARY_TABLES = [
  'CREATE TABLE authors (id integer PRIMARY KEY, name text NOT NULL, mentor_id integer)',
  'CREATE TABLE books (id integer PRIMARY KEY, title text NOT NULL, author_id integer NOT NULL, published integer)',
  'CREATE TABLE reviews (id integer PRIMARY KEY, book_id integer NOT NULL, stars integer NOT NULL, liked ' +
    'integer NOT NULL DEFAULT 1)',
];
