import type { Engine } from '../sqlite3/engine.ts';
import {
  SQLITE_BUSY,
  SQLITE_ERROR,
  SQLITE_IOCAP_POWERSAFE_OVERWRITE,
  SQLITE_IOERR_CLOSE,
  SQLITE_IOERR_FSTAT,
  SQLITE_IOERR_FSYNC,
  SQLITE_IOERR_READ,
  SQLITE_IOERR_SHMLOCK,
  SQLITE_IOERR_SHMMAP,
  SQLITE_IOERR_TRUNCATE,
  SQLITE_IOERR_WRITE,
  SQLITE_LOCK_NONE,
  SQLITE_NOTFOUND,
  SQLITE_OK,
  SQLITE_OPEN_CREATE,
  SQLITE_OPEN_DELETEONCLOSE,
  SQLITE_OPEN_EXCLUSIVE,
  SQLITE_OPEN_MAIN_DB,
  SQLITE_OPEN_MAIN_JOURNAL,
  SQLITE_OPEN_READONLY,
  SQLITE_OPEN_READWRITE,
  SQLITE_OPEN_SUPER_JOURNAL,
  SQLITE_OPEN_TYPE_MASK,
  SQLITE_OPEN_WAL,
  SQLITE_READONLY_DIRECTORY,
  SQLITE_SHM_EXCLUSIVE,
  SQLITE_SHM_UNLOCK,
} from '../sqlite3/constants.ts';
import { findVfs, registerVfs, type RegisteredVfs } from '../sqlite3/vfs-registration.ts';
import { ChangeCounterOverrides } from './change-counter-override.ts';
import type { CommitObserver } from './commit-observer.ts';
import type { FileHandle, Filesystem } from './filesystem.ts';
import { LockTable } from './lock-table.ts';
import { MemoryFile } from './memory-file.ts';
import { ObservedDatabaseFile } from './observed-database-file.ts';
import { ObservedWalFile } from './observed-wal-file.ts';
import { ObserverTable } from './observer-table.ts';
import { OpenFile } from './open-file.ts';
import { clearVfsError, errorCode, openFailure, vfsFailure } from './vfs-error.ts';
import { vfsMethods } from './vfs-methods.ts';
import type { WalIndexConnection } from './wal-index.ts';
import { WalIndexTable } from './wal-index-table.ts';

/**
 * Who may use a database file across processes. Declared here, where it is used; the Node
 * backend implements it with an owner lock file.
 */
export interface MainFileOwner {
  /**
   * Takes (or counts once more) this process's ownership of the database file at `path`.
   * Returns false when nobody can own it because its directory is not writable: the file is then
   * opened read-only. Throws {@link OwnerLockError} if another live process owns it.
   */
  acquire(path: string): boolean;
  /** Gives one acquisition back; the last one releases the ownership. Never throws. */
  release(path: string): void;
}

/** Options of {@link SqliteVfs}. */
export interface SqliteVfsOptions {
  /** The name SQLite knows the VFS by (what `sqlite3_open_v2` is given). */
  name: string;
  /** Lock table shared with other VFSs over the same files (default: a table of its own). */
  locks?: LockTable;
  /** Wal-indexes shared with other VFSs over the same files (default: a table of its own). */
  walIndexes?: WalIndexTable;
  /** Cross-process ownership of database files (default: none, for files private to this process). */
  owner?: MainFileOwner;
  /**
   * Commit observers shared with other VFSs over the same files (default: a table of its own).
   * Share it wherever the locks are shared, or a connection through the other VFS commits unseen.
   */
  observers?: ObserverTable;
}

const SECTOR_SIZE = 4096;
const MAX_PATHNAME = 1024;

/**
 * An `sqlite3_vfs` (version 2, with WAL shared memory) over a {@link Filesystem}, registered with
 * SQLite under `name` (never as the default VFS). It maps SQLite's file methods onto the file
 * system, gives the connections of this thread SQLite's exact locking semantics through a
 * {@link LockTable}, keeps WAL indexes in the WASM heap, and keeps temporary files in memory.
 *
 * No method throws into WASM: failures become SQLite result codes, and the Node error behind
 * them is kept for {@link takeVfsError}. Construction throws if the name is already registered.
 *
 * @example
 * const vfs = new SqliteVfs(engine, new MemoryFilesystem(), { name: 'mem1' });
 * // sqlite3_open_v2('/app.db', pp, flags, 'mem1') now stores /app.db in the memory file system
 * vfs.unregister();
 */
export class SqliteVfs {
  /** The registered name. */
  readonly name: string;
  /** The file system the VFS stores files in. */
  readonly filesystem: Filesystem;
  readonly #engine: Engine;
  readonly #locks: LockTable;
  readonly #walIndexes: WalIndexTable;
  readonly #owner: MainFileOwner | undefined;
  readonly #observers: ObserverTable;
  readonly #files = new Map<number, OpenFile>();
  readonly #counters = new ChangeCounterOverrides();
  readonly #registration: RegisteredVfs;

  constructor(engine: Engine, filesystem: Filesystem, options: SqliteVfsOptions) {
    if (typeof options?.name !== 'string' || options.name === '')
      throw new TypeError('Expected the "name" option to be a non-empty string');
    if (findVfs(engine, options.name) !== 0) throw new TypeError(`A VFS named "${options.name}" is already registered`);
    this.name = options.name;
    this.filesystem = filesystem;
    this.#engine = engine;
    this.#locks = options.locks ?? new LockTable();
    this.#walIndexes = options.walIndexes ?? new WalIndexTable(engine);
    this.#owner = options.owner;
    this.#observers = options.observers ?? new ObserverTable();
    this.#registration = registerVfs(engine, {
      name: options.name,
      iVersion: 2,
      mxPathname: MAX_PATHNAME,
      methods: vfsMethods(engine, filesystem, (zName, pFile, flags, pOutFlags) =>
        this.#open(zName, pFile, flags, pOutFlags),
      ),
      ioVersion: 2,
      ioMethods: this.#ioMethods(),
    });
  }

  /** The `sqlite3_vfs*`. */
  get pointer(): number {
    return this.#registration.pointer;
  }

  /** How many files SQLite has open through this VFS. */
  get openFileCount(): number {
    return this.#files.size;
  }

  /**
   * Removes the VFS from SQLite and frees its methods. Throws a TypeError while files are open
   * (close the connections first).
   */
  unregister(): void {
    if (this.#files.size > 0) throw new TypeError(`The VFS "${this.name}" still has ${this.#files.size} open files`);
    this.#registration.unregister();
  }

  /**
   * Shows `observer` every transaction committed to the database at `path` through this VFS, or
   * any VFS sharing its observers, from now until the returned function is called. WAL mode only
   * (with `locking_mode=NORMAL`): see {@link CommitObserver} for what is observed, when, and what
   * a throwing observer does. Files of other databases are not affected in any way.
   *
   * Attach before the database is opened: throws a TypeError if a connection has it open, if it
   * already has an observer, or for bad arguments.
   *
   * @example
   * const stop = vfs.observe('/srv/app.db', { commit: (c) => log.append(toRecord(c)) });
   * const db = await open('/srv/app.db', { vfs: vfs.name });
   * // … every COMMIT now calls the observer before it returns …
   * db.close();
   * stop();
   */
  observe(path: string, observer: CommitObserver): () => void {
    if (typeof path !== 'string' || path === '')
      throw new TypeError('Expected the database path to be a non-empty string');
    if (typeof observer?.commit !== 'function') throw new TypeError('Expected the observer to have a "commit" method');
    const full = this.filesystem.fullPath(path);
    if (this.#locks.has(full))
      throw new TypeError(`The database ${full} is open: attach its observer before opening it`);
    const tracker = this.#observers.add(full, observer);
    return () => this.#observers.remove(tracker);
  }

  /**
   * Runs `fn` with page 1 of the database at `path` showing `counter` as its file change counter
   * (bytes 24..27) to every read, from the database file or a WAL frame; nothing is written.
   * SQLite's WAL writer stamps page 1 with the counter it read plus one: a replica writing the
   * primary's exact page 1 through a fresh connection shows it the primary's counter minus one.
   * Only the connection opened inside `fn` may read the database meanwhile, and it must not
   * checkpoint (a checkpoint would copy the shown counter into the file). Ordinary databases are
   * not affected. Throws a TypeError for bad arguments or an override already active for `path`.
   *
   * @example
   * vfs.withChangeCounter('/srv/replica.db', wanted - 1, 4096, () => applyThroughFreshConnection());
   */
  withChangeCounter<T>(path: string, counter: number, pageSize: number, fn: () => T): T {
    if (typeof path !== 'string' || path === '')
      throw new TypeError('Expected the database path to be a non-empty string');
    if (!Number.isInteger(counter) || counter < 0 || counter > 0xffff_ffff) {
      throw new TypeError('Expected the "counter" to be an integer between 0 and 4294967295');
    }
    if (!Number.isInteger(pageSize) || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
      throw new TypeError('Expected the "pageSize" to be a power of two between 512 and 65536');
    }
    if (typeof fn !== 'function') throw new TypeError('Expected the "fn" argument to be a function');
    return this.#counters.run(this.filesystem.fullPath(path), counter, pageSize, fn);
  }

  /**
   * `xFileControl` for the files of this VFS: `SQLITE_NOTFOUND` (SQLite's defaults) for every
   * opcode. An extension point for subclasses; must not throw. (Commits are observed through
   * {@link observe}, from the WAL writes, not from file controls.)
   */
  protected fileControl(_file: OpenFile, _op: number, _pArg: number): number {
    return SQLITE_NOTFOUND;
  }

  #open(zName: number, pFile: number, flags: number, pOutFlags: number): number {
    const e = this.#engine;
    e.dv.setUint32(pFile, 0, true);
    let owned: string | null = null;
    let failure = 0;
    try {
      const name = zName === 0 ? '' : (e.cstring(zName) ?? '');
      let granted = flags;
      let file: OpenFile;
      if (name === '' || (flags & SQLITE_OPEN_DELETEONCLOSE) !== 0) {
        // Private to this connection and gone on close: memory is enough, and faster.
        file = new OpenFile(e, this.filesystem, null, flags, new MemoryFile());
      } else {
        const type = flags & SQLITE_OPEN_TYPE_MASK;
        let write = (flags & SQLITE_OPEN_READWRITE) !== 0;
        if (type === SQLITE_OPEN_MAIN_DB && this.#owner !== undefined) {
          if (this.#owner.acquire(name)) owned = name;
          else if (write) {
            write = false;
            granted = readOnly(flags);
          }
        }
        const create = write && (flags & SQLITE_OPEN_CREATE) !== 0;
        // As os_unix.c: a journal or WAL gets the database file's permissions (and owner, as root).
        const permissionsOf = isJournalOrWal(type) ? databaseOf(name) : undefined;
        // Only this thread writes a file it owns (or that is private to the process): the file
        // system may keep its size. A journal or WAL is owned with its database.
        const fileOwned =
          this.#owner === undefined ||
          (type === SQLITE_OPEN_MAIN_DB ? owned !== null : isJournalOrWal(type) && this.#owns(databaseOf(name)));
        let handle: FileHandle;
        let created = create;
        try {
          handle = this.filesystem.open(name, {
            write,
            create,
            exclusive: create && (flags & SQLITE_OPEN_EXCLUSIVE) !== 0,
            permissionsOf,
            owned: fileOwned,
          });
        } catch (error) {
          const code = errorCode(error);
          if (!write || (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS')) throw error;
          const missing = create && isAnyJournalOrWal(type) && this.filesystem.stat(name) === null;
          if (missing && type === SQLITE_OPEN_WAL) {
            // A WAL database in a directory this process may not write, with no -wal file: every
            // commit is in the database file (the last connection checkpointed and deleted the
            // WAL), so SQLite reads it through an empty WAL of its own, read-only. Native SQLite
            // needs a -shm it can map for that; the wal-index here is in the heap.
            handle = new MemoryFile();
            created = false;
          } else if (missing && code === 'EACCES') {
            failure = SQLITE_READONLY_DIRECTORY;
            throw error;
          } else {
            // As os_unix.c: a file that cannot be written is opened read-only, and SQLite is told.
            handle = this.filesystem.open(name, { write: false, create: false, exclusive: false, owned: fileOwned });
            created = false;
          }
          granted = readOnly(flags);
        }
        const syncDirectory = created && isAnyJournalOrWal(type);
        const lock = type === SQLITE_OPEN_MAIN_DB ? this.#locks.attach(name) : null;
        const observed = type === SQLITE_OPEN_MAIN_DB ? name : type === SQLITE_OPEN_WAL ? databaseOf(name) : undefined;
        const tracker = observed === undefined ? undefined : this.#observers.get(observed);
        if (tracker === undefined) {
          file = new OpenFile(e, this.filesystem, name, granted, handle, {
            lock,
            owned: owned !== null,
            syncDirectory,
          });
        } else if (type === SQLITE_OPEN_WAL) {
          file = new ObservedWalFile(e, this.filesystem, name, granted, handle, tracker, { syncDirectory });
        } else {
          file = new ObservedDatabaseFile(e, this.filesystem, name, granted, handle, tracker, {
            lock: lock!,
            owned: owned !== null,
          });
        }
      }
      this.#files.set(pFile, file);
      const dv = e.dv;
      dv.setUint32(pFile, this.#registration.ioMethods, true);
      if (pOutFlags !== 0) dv.setInt32(pOutFlags, granted, true);
      return SQLITE_OK;
    } catch (error) {
      if (owned !== null) this.#owner!.release(owned);
      return failure !== 0 ? vfsFailure(error, failure) : openFailure(error);
    }
  }

  /** Whether a connection of this VFS has the database at `path` open as its owner. */
  #owns(path: string | undefined): boolean {
    if (path === undefined) return false;
    for (const file of this.#files.values()) if (file.owned && file.path === path) return true;
    return false;
  }

  #close(pFile: number): number {
    const file = this.#files.get(pFile);
    if (file === undefined) return SQLITE_OK;
    this.#files.delete(pFile);
    let rc = SQLITE_OK;
    try {
      file.handle.close();
    } catch {
      // sqlite3_close ignores xClose's result, so a kept cause would only be blamed on a later error.
      rc = SQLITE_IOERR_CLOSE;
    }
    if (file.walIndex !== null) this.#disconnect(file, file.walIndex);
    if (file.lock !== null) {
      file.lock.unlock(file, SQLITE_LOCK_NONE);
      this.#locks.detach(file.lock);
    }
    if (file.owned) this.#owner!.release(file.path!);
    return rc;
  }

  #shmMap(pFile: number, region: number, size: number, extend: number, pp: number): number {
    const file = this.#files.get(pFile);
    if (file === undefined || file.path === null) return SQLITE_IOERR_SHMMAP;
    try {
      file.walIndex ??= this.#walIndexes.connect(file.path);
      const ptr = file.walIndex.index.map(region, size, extend !== 0);
      this.#engine.dv.setUint32(pp, ptr, true);
      return SQLITE_OK;
    } catch (error) {
      return vfsFailure(error, SQLITE_IOERR_SHMMAP);
    }
  }

  #shmLock(pFile: number, offset: number, n: number, flags: number): number {
    const file = this.#files.get(pFile);
    const connection = file?.walIndex;
    if (connection == null) return SQLITE_IOERR_SHMLOCK;
    const tracker = file!.commitTracker;
    // Slot 0 is the WAL write lock: SQLite holds it for exactly one write transaction.
    const wasWriter = tracker !== null && offset === 0 && (connection.exclusiveMask & 1) !== 0;
    const rc = connection.index.lock(connection, offset, n, flags);
    if (rc === SQLITE_BUSY) clearVfsError();
    else if (tracker !== null && offset === 0) {
      if ((flags & SQLITE_SHM_UNLOCK) !== 0) {
        if (wasWriter) tracker.writeUnlocked(connection.index.mxFrame());
      } else if ((flags & SQLITE_SHM_EXCLUSIVE) !== 0 && !wasWriter) {
        tracker.writeLocked();
      }
    }
    return rc;
  }

  #shmUnmap(pFile: number): number {
    const file = this.#files.get(pFile);
    if (file?.walIndex != null) this.#disconnect(file, file.walIndex);
    return SQLITE_OK;
  }

  /** Leaves the wal-index, giving up the write lock (and its transaction) if still held. */
  #disconnect(file: OpenFile, connection: WalIndexConnection): void {
    if (file.commitTracker !== null && (connection.exclusiveMask & 1) !== 0)
      file.commitTracker.writeUnlocked(connection.index.mxFrame());
    this.#walIndexes.disconnect(connection);
    file.walIndex = null;
  }

  #ioMethods(): Record<string, (...args: never[]) => unknown> {
    const files = this.#files;
    return {
      xClose: (pFile: number) => this.#close(pFile),
      xRead: (pFile: number, pDest: number, n: number, offset: bigint) => {
        const file = files.get(pFile);
        if (file === undefined) return SQLITE_IOERR_READ;
        const rc = file.read(pDest, n, offset);
        if (rc !== SQLITE_OK || this.#counters.size === 0) return rc;
        try {
          this.#counters.patch(file, this.#engine.u8, pDest, n, Number(offset));
          return rc;
        } catch (error) {
          return vfsFailure(error, SQLITE_IOERR_READ);
        }
      },
      xWrite: (pFile: number, pSrc: number, n: number, offset: bigint) =>
        files.get(pFile)?.write(pSrc, n, offset) ?? SQLITE_IOERR_WRITE,
      xTruncate: (pFile: number, size: bigint) => files.get(pFile)?.truncate(size) ?? SQLITE_IOERR_TRUNCATE,
      xSync: (pFile: number, flags: number) => files.get(pFile)?.sync(flags) ?? SQLITE_IOERR_FSYNC,
      xFileSize: (pFile: number, pSize: number) => files.get(pFile)?.fileSize(pSize) ?? SQLITE_IOERR_FSTAT,
      xLock: (pFile: number, level: number) => files.get(pFile)?.lockTo(level) ?? SQLITE_ERROR,
      xUnlock: (pFile: number, level: number) => files.get(pFile)?.unlockTo(level) ?? SQLITE_ERROR,
      xCheckReservedLock: (pFile: number, pResOut: number) =>
        files.get(pFile)?.checkReservedLock(pResOut) ?? SQLITE_ERROR,
      xFileControl: (pFile: number, op: number, pArg: number) => {
        const file = files.get(pFile);
        if (file === undefined) return SQLITE_NOTFOUND;
        try {
          return this.fileControl(file, op, pArg);
        } catch (error) {
          return vfsFailure(error, SQLITE_ERROR);
        }
      },
      xSectorSize: () => SECTOR_SIZE,
      xDeviceCharacteristics: () => SQLITE_IOCAP_POWERSAFE_OVERWRITE,
      xShmMap: (pFile: number, region: number, size: number, extend: number, pp: number) =>
        this.#shmMap(pFile, region, size, extend, pp),
      xShmLock: (pFile: number, offset: number, n: number, flags: number) => this.#shmLock(pFile, offset, n, flags),
      // One thread: nothing can reorder memory accesses between connections.
      xShmBarrier: () => {},
      xShmUnmap: (pFile: number) => this.#shmUnmap(pFile),
    };
  }
}

/** The database file of a journal or WAL: `/a/app.db-wal` → `/a/app.db`. */
function databaseOf(path: string): string | undefined {
  const dash = path.lastIndexOf('-');
  return dash > path.lastIndexOf('/') ? path.slice(0, dash) : undefined;
}

function readOnly(flags: number): number {
  return (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
}

/** A database's rollback journal or WAL: named after its database file (`<db>-journal`, `<db>-wal`). */
function isJournalOrWal(type: number): boolean {
  return type === SQLITE_OPEN_MAIN_JOURNAL || type === SQLITE_OPEN_WAL;
}

/** A file SQLite creates and deletes as it commits: a journal, a super-journal or a WAL. */
function isAnyJournalOrWal(type: number): boolean {
  return isJournalOrWal(type) || type === SQLITE_OPEN_SUPER_JOURNAL;
}
