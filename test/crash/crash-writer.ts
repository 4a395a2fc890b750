// Child process for the crash tests: commits transactions in a loop on a database file and
// reports each commit on stdout only after commit() returned, so every reported id must
// survive a SIGKILL at any later moment.
import { open } from '../../core/index.ts';

const [path, journalMode, firstId] = process.argv.slice(2) as [string, string, string];
const db = await open(path, { journalMode: journalMode as 'wal' | 'delete' });
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS commits (id INTEGER PRIMARY KEY, payload BLOB, note TEXT)');
const insert = db.prepare('INSERT INTO commits (id, payload, note) VALUES (?, ?, ?)');
const touch = db.prepare('UPDATE commits SET note = ? WHERE id = ?');
// Several rows and an update per transaction, of varying size, so the kill lands in every phase
// of a commit (journal write, sync, database write, journal delete, WAL append, checkpoint).
const commit = db.transaction((id: number) => {
  insert.run(id, new Uint8Array(200 + (id % 7) * 900).fill(id & 0xff), `row ${id}`);
  touch.run(`touched by ${id}`, Math.max(1, id - 3));
});
for (let id = Number(firstId); ; id++) {
  commit(id);
  process.stdout.write(`commit ${id}\n`);
}
