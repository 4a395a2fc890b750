// `npm run start:local`: the single-file example (`npm start` runs the cluster demo).
// Opens a real SQLite file with the synchronous Database, writes and reads it, then does the same
// through the async Client (the @libsql/client shape the ORM adapters use), and prints what it did.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, open, SqliteError } from 'wasmlite';

const dir = join(import.meta.dirname, '..', '.tmp');
mkdirSync(dir, { recursive: true });
const path = join(dir, 'quickstart.db');

const started = performance.now();
const db = await open(path);
console.log(
  `opened ${path} (SQLite ${db.prepare('SELECT sqlite_version()').pluck().get()}, journal ${db.pragma('journal_mode', { simple: true })}) in ${(performance.now() - started).toFixed(1)} ms`,
);

db.exec(`
  DROP TABLE IF EXISTS notes;
  CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL UNIQUE, body TEXT, created INTEGER);
`);
const insert = db.prepare('INSERT INTO notes (title, body, created) VALUES (@title, @body, @created)');
const insertMany = db.transaction((count: number) => {
  for (let i = 1; i <= count; i++) insert.run({ title: `note ${i}`, body: `body of note ${i} ✓`, created: Date.now() });
});
let t = performance.now();
insertMany(10_000);
console.log(`inserted 10000 rows in one transaction in ${(performance.now() - t).toFixed(1)} ms`);

const byId = db.prepare('SELECT id, title, body FROM notes WHERE id = ?');
t = performance.now();
let found = 0;
for (let i = 1; i <= 10_000; i++) if (byId.get(i)) found++;
console.log(`read ${found} rows back one by one by primary key in ${(performance.now() - t).toFixed(1)} ms`);
console.log('row 42:', byId.get(42));

try {
  insert.run({ title: 'note 1', body: null, created: 0 });
} catch (error) {
  if (!(error instanceof SqliteError)) throw error;
  console.log(`a duplicate title is refused: ${error.code}: ${error.message}`);
}
db.close();

const client = createClient({ url: `file:${path}` });
const rs = await client.execute({
  sql: 'SELECT count(*) AS n, max(id) AS last FROM notes WHERE title LIKE ?',
  args: ['note 1%'],
});
console.log(`the Client sees the same file: ${rs.rows[0]!.n} titles start with "note 1", last id ${rs.rows[0]!.last}`);
const [, updated] = await client.batch(
  [
    {
      sql: 'INSERT INTO notes (title, body, created) VALUES (?, ?, ?)',
      args: ['from the client', 'hello', new Date()],
    },
    { sql: 'UPDATE notes SET body = upper(body) WHERE id <= ?', args: [3] },
  ],
  'write',
);
console.log(`an atomic batch inserted a row and updated ${updated!.rowsAffected} rows`);
client.close();
console.log('done: the file is a standard SQLite database; open it with any SQLite tool.');
