import { SQLITE_IOERR_WRITE } from '../sqlite3/constants.ts';
import type { Engine } from '../sqlite3/engine.ts';
import type { FileLock } from './file-lock.ts';
import type { FileHandle, Filesystem } from './filesystem.ts';
import { OpenFile } from './open-file.ts';
import { vfsRefusal } from './vfs-error.ts';
import type { WalCommitTracker } from './wal-commit-tracker.ts';

/** Bytes 18 and 19 of the database header: the file format versions, 2 in WAL mode. */
const WRITE_VERSION_OFFSET = 18;
const WAL_VERSION = 2;

/**
 * The database file of an observed database, as one connection has it open. In WAL mode only
 * checkpoints write it, copying frames the observer already saw; a page 1 whose header says
 * rollback-journal mode (file format version 1) means SQLite is leaving WAL mode or committing
 * without a WAL, which the observer would never see. Such a write fails with
 * `SQLITE_IOERR_WRITE` (page 1 is the first page a rollback-mode commit writes, and leaving WAL
 * mode writes it), so the database stays in WAL mode.
 *
 * @example
 * db.pragma('journal_mode = DELETE'); // SqliteError SQLITE_IOERR_WRITE, the database stays in WAL mode
 */
export class ObservedDatabaseFile extends OpenFile {
  readonly #engine: Engine;

  constructor(
    engine: Engine,
    filesystem: Filesystem,
    path: string,
    flags: number,
    handle: FileHandle,
    tracker: WalCommitTracker,
    options: { lock: FileLock; owned: boolean },
  ) {
    super(engine, filesystem, path, flags, handle, { ...options, commitTracker: tracker });
    this.#engine = engine;
  }

  override write(pSrc: number, n: number, offset: bigint): number {
    if (
      offset === 0n &&
      n > WRITE_VERSION_OFFSET &&
      this.#engine.u8[pSrc + WRITE_VERSION_OFFSET] !== WAL_VERSION &&
      this.commitTracker!.attached
    ) {
      return vfsRefusal(
        new Error(
          `${this.path} has a commit observer and must stay in WAL mode: refusing a write in rollback-journal mode`,
        ),
        SQLITE_IOERR_WRITE,
      );
    }
    return super.write(pSrc, n, offset);
  }
}
