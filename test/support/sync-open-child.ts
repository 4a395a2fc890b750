/**
 * Opens a database with `new Database(path)` in a fresh process, with no await anywhere (so the
 * engine must load synchronously), writes a row, and prints what it reads back.
 *
 * `node --import tsx test/support/sync-open-child.ts <path>`
 */
import Database from '../../core/index.ts';

const db = new Database(process.argv[2]);
db.exec('CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (42)');
const row = db.prepare('SELECT sum(x) AS total, sqlite_version() AS version FROM t').get();
db.close();
process.stdout.write(JSON.stringify(row));
