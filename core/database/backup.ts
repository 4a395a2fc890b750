import { access, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { primaryResultCode, SQLITE_BUSY, SQLITE_DONE, SQLITE_LOCKED, SQLITE_OK } from '../sqlite3/constants.ts';
import { nonNegativeInteger, positiveInteger } from '../util/option-checks.ts';
import type { Connection } from './connection.ts';

/** What `Database.backup()` reports when it finishes, and hands its `progress` callback. */
export interface BackupResult {
  totalPages: number;
  remainingPages: number;
}

/** Options of `Database.backup()`. */
export interface BackupOptions {
  /** The schema to copy: `main` (default), `temp` or an attached database's name. */
  attached?: string;
  /**
   * Called after each step that left pages to copy; a number returned is the next step's size in
   * pages (0 pauses the backup until a later call returns more), a throw aborts the backup.
   */
  progress?: ((state: BackupResult) => number | void) | null;
  /** Pages copied per event-loop turn until `progress` says otherwise (default 100). */
  pagesPerStep?: number;
  /** How long a lock held by another connection may stall the backup, in ms (default 5000). */
  busyTimeout?: number;
}

/** A backup's arguments, checked. */
export interface BackupPlan {
  path: string;
  schema: string;
  progress: ((state: BackupResult) => number | void) | null;
  pages: number;
  busyTimeout: number;
}

// better-sqlite3's default step, and the largest a progress callback can ask for.
const DEFAULT_BACKUP_PAGES = 100;
const MAX_BACKUP_PAGES = 0x7fffffff;
const DEFAULT_BUSY_TIMEOUT = 5000;

/**
 * The `attached` option of `serialize()`/`backup()`: a schema name, `main` by default.
 * @example checkAttached({ attached: 'aux' }) // 'aux'
 */
export function checkAttached(options: { attached?: unknown }): string {
  if (!('attached' in options)) return 'main';
  if (typeof options.attached !== 'string') throw new TypeError('Expected the "attached" option to be a string');
  if (options.attached === '') throw new TypeError('The "attached" option cannot be an empty string');
  return options.attached;
}

/**
 * Checks `backup()`'s arguments with better-sqlite3's wording: a blank or `':memory:'` file name
 * is a TypeError (SQLite would otherwise create a file of that name).
 * @example checkBackupArguments('copy.db', { progress: () => 200 })
 */
export function checkBackupArguments(destination: unknown, options: unknown): BackupPlan {
  if (typeof destination !== 'string') throw new TypeError('Expected first argument to be a string');
  if (options === null || typeof options !== 'object')
    throw new TypeError('Expected second argument to be an options object');
  const o = options as BackupOptions;
  const file = destination.trim();
  const schema = checkAttached(o);
  const progress = o.progress ?? null;
  if (file === '') throw new TypeError('Backup filename cannot be an empty string');
  if (file === ':memory:') throw new TypeError('Invalid backup filename ":memory:"');
  if (progress !== null && typeof progress !== 'function')
    throw new TypeError('Expected the "progress" option to be a function');
  const pages = positiveInteger(o.pagesPerStep ?? DEFAULT_BACKUP_PAGES, 'pagesPerStep');
  // Only an absent option takes the default: null is refused like any other non-integer.
  const busyTimeout =
    o.busyTimeout === undefined ? DEFAULT_BUSY_TIMEOUT : nonNegativeInteger(o.busyTimeout, 'busyTimeout');
  return { path: resolve(file), schema, progress, pages, busyTimeout };
}

/**
 * SQLite's online backup of `source`'s schema into the file `plan.path`, one step per event-loop
 * turn: the first copies nothing (it reads the page counts for the first report), then
 * `plan.pages` or what `progress` last returned (0 pauses). `openTarget` opens the destination
 * through the source's VFS. Rejects with a TypeError for a missing directory or when the source
 * closes meanwhile, with what `progress` throws, or with the `SqliteError` of a failed step
 * (`SQLITE_BUSY` once another connection's lock outlasts `busyTimeout`). An aborted backup
 * deletes the file it created.
 * @example await runBackup(connection, checkBackupArguments('copy.db', {}), open);
 */
export async function runBackup(
  source: Connection,
  plan: BackupPlan,
  openTarget: (path: string) => Connection,
): Promise<BackupResult> {
  const { path, progress } = plan;
  await access(dirname(path)).catch(() => {
    throw new TypeError('Cannot save backup because the directory does not exist');
  });
  const created = await access(path).then(
    () => false,
    () => true,
  );
  source.checkNotBusy();
  const e = source.engine;
  const target = openTarget(path);
  let done = false;
  try {
    const backup = e.x.sqlite3_backup_init(target.ptr, e.cstr('main'), source.ptr, e.cstr(plan.schema));
    if (backup === 0) throw target.error(e.x.sqlite3_extended_errcode(target.ptr));
    let rc = SQLITE_OK;
    let failure: unknown;
    const giveUpAt = Date.now() + plan.busyTimeout;
    let pages = plan.pages;
    let step = 0;
    let result: BackupResult = { totalPages: 0, remainingPages: 0 };
    try {
      for (;;) {
        await new Promise((r) => setImmediate(r));
        if (!source.isOpen) throw new TypeError('The database connection was closed during the backup');
        rc = e.x.sqlite3_backup_step(backup, step);
        result = {
          totalPages: e.x.sqlite3_backup_pagecount(backup),
          remainingPages: e.x.sqlite3_backup_remaining(backup),
        };
        if (rc === SQLITE_DONE) break;
        // A lock held elsewhere (SQLITE_BUSY/LOCKED) is retried on later turns, up to busyTimeout.
        const primary = primaryResultCode(rc);
        const locked = primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
        if (rc !== SQLITE_OK && (!locked || Date.now() > giveUpAt)) break;
        step = pages;
        if (progress !== null) {
          const next = progress.call(undefined, { ...result });
          if (next !== undefined) {
            if (typeof next !== 'number' || Number.isNaN(next))
              throw new TypeError('Expected progress callback to return a number or undefined');
            step = pages = Math.max(0, Math.min(MAX_BACKUP_PAGES, Math.round(next)));
          }
        }
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const finish = e.x.sqlite3_backup_finish(backup);
      if (rc === SQLITE_DONE && failure === undefined) rc = finish;
    }
    if (rc !== SQLITE_OK && rc !== SQLITE_DONE) throw target.error(rc);
    done = true;
    return result;
  } finally {
    target.close();
    if (!done && created) await unlink(path).catch(() => {});
  }
}
