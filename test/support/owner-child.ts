/**
 * A child process for the owner-lock tests. Usage: `owner-child.ts <db file> [--wait-go]`.
 * Opens the database through wasmlite's VFS, writes a row with its pid, and reports on stdout:
 * `loaded` (engine ready), `ready` (owns the file), `busy <ownerPid>` or `error <message>`.
 * Then it obeys stdin lines: `close` (close the database and exit), `exit` (exit without closing).
 */
import { createInterface } from 'node:readline';
import { loadEngine } from '../../core/sqlite3/engine.ts';
import { defaultVfs } from '../../core/vfs/default-vfs.ts';
import { OwnerLockError } from '../../core/vfs/owner-lock-error.ts';
import { takeVfsError } from '../../core/vfs/vfs-error.ts';
import { openDb, type Oo1Db } from './oo1.ts';

const [file, flag] = process.argv.slice(2);
const engine = await loadEngine();
const vfs = defaultVfs(engine);
let db: Oo1Db | undefined;

function openAndWrite(): void {
  try {
    db = openDb(engine, file!, vfs.name);
    db.exec('PRAGMA journal_mode = wal; CREATE TABLE IF NOT EXISTS t (pid INTEGER, at TEXT)');
    db.exec(`INSERT INTO t VALUES (${process.pid}, datetime('now'))`);
    console.log('ready');
  } catch (error) {
    const cause = takeVfsError();
    if (cause instanceof OwnerLockError) console.log(`busy ${cause.ownerPid}`);
    else console.log(`error ${(cause ?? (error as Error)).message}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line === 'go') openAndWrite();
  if (line === 'close') {
    db?.close();
    process.exit(0);
  }
  if (line === 'exit') process.exit(0);
});
console.log('loaded');
if (flag !== '--wait-go') openAndWrite();
