// Child process for the permission tests: opens a database without the write bit (run as an
// unprivileged user when the tests run as root, since root ignores permission bits) and reports
// what a user sees, as one JSON line.
import { open, SqliteError } from '../../core/index.ts';

const [path] = process.argv.slice(2) as [string];
const report: Record<string, unknown> = {};
try {
  const db = await open(path, { journalMode: 'delete' });
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
