// Child process for the permission tests: opens a database without the write bit and reports what
// a user sees, as one JSON line.
//
//   permission-child.ts <database> <uid>:<gid> | - [<journal mode> [readonly]]
//
// The journal mode defaults to delete; `readonly` opens with `{ readonly: true }`.
// Root ignores permission bits, so a test running as root passes an unprivileged uid:gid. The child
// then loads everything it runs (the TypeScript loader, wasmlite, the WebAssembly engine, the file
// VFS) while still root and only then drops to that user, the way a daemon drops privileges after
// start-up: the checkout may sit in a directory that user cannot enter (a clone under /root, a
// mktemp -d folder), and only the database under test is that user's business.
import fs from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { open, SqliteError, type JournalMode } from '../../core/index.ts';

const [path, userArgument = '-', journalMode = 'delete', readonly] = process.argv.slice(2) as [
  string,
  string?,
  JournalMode?,
  string?,
];
const user = userArgument === '-' ? undefined : userArgument;

/** Opens, writes and reads a file database in a private scratch directory, so nothing is left to load. */
async function loadEverything(): Promise<void> {
  const scratch = fs.mkdtempSync(nodePath.join(os.tmpdir(), 'wasmlite-perm-child-'));
  try {
    const db = await open(nodePath.join(scratch, 'warm.db'), { journalMode: 'delete' });
    db.exec("CREATE TABLE t (v); INSERT INTO t VALUES ('x')");
    db.prepare('SELECT v FROM t').pluck().all();
    db.close();
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Becomes `uid:gid` with no supplementary groups, as spawning with `{ uid, gid }` would. */
function dropTo(spec: string): void {
  const [uid, gid] = spec.split(':').map(Number) as [number, number];
  process.setgroups!([]);
  process.setgid!(gid);
  process.setuid!(uid);
  if (process.getuid!() !== uid || process.geteuid!() !== uid) throw new Error(`still uid ${process.geteuid!()}`);
}

const report: Record<string, unknown> = {};
if (user !== undefined) {
  await loadEverything();
  dropTo(user);
}
report.uid = process.geteuid?.();
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
