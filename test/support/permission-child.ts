// Child process for the permission tests: opens a database without the write bit (run as an
// unprivileged user when the tests run as root, since root ignores permission bits) and reports
// what a user sees, as one JSON line. Arguments: the database, then optionally its journal mode
// (default delete) and `readonly` to open it with `{ readonly: true }`.
import { open, SqliteError, type JournalMode } from '../../core/index.ts';

const [path, journalMode = 'delete', readonly] = process.argv.slice(2) as [string, JournalMode?, string?];
const report: Record<string, unknown> = {};
try {
  const db = await open(path, readonly === 'readonly' ? { readonly: true } : { journalMode });
  report.readonly = db.readonly;
  report.rows = db.prepare('SELECT v FROM t').pluck().all();
  try {
    db.prepare("INSERT INTO t VALUES ('no')").run();
    report.write = 'succeeded';
  } catch (error) {
    report.write = error instanceof SqliteError ? error.code : String(error);
  }
  db.close();
} catch (error) {
  report.openError = error instanceof SqliteError ? `${error.code}: ${error.message}` : String(error);
}
process.stdout.write(`${JSON.stringify(report)}\n`);
