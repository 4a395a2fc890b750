import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { randomFill } from '../sqlite3/random-fill.ts';
import { OwnerLockError } from './owner-lock-error.ts';
import { processStartTime } from './process-start-time.ts';
import type { MainFileOwner } from './sqlite-vfs.ts';
import { errorCode } from './vfs-error.ts';

/** What an owner lock file holds (JSON). */
interface OwnerRecord {
  pid: number;
  /** {@link processStartTime} of `pid`, to tell a reused pid from the owner. */
  startTime: string | null;
  hostname: string;
  /** Unique per OwnerLock instance: tells this thread's lock from another thread's of the same process. */
  token: string;
}

type ReadOwner =
  | { kind: 'missing' }
  | { kind: 'record'; record: OwnerRecord; text: string }
  | { kind: 'unreadable'; text: string; young: boolean };

/**
 * An unreadable lock file younger than this may be one still being written, where the file system
 * has no hard links (a lock is then created empty and written after). Where hard links work a
 * lock appears whole, so an unreadable one is damage (a power cut before its bytes reached the
 * disk leaves it empty) and is taken over at once.
 */
const WRITE_GRACE_MS = 10_000;
const MAX_ATTEMPTS = 50;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * The file beside a database that names the process owning it: `<db>-wasmlite-owner`.
 *
 * @example
 * ownerLockPath('/srv/app.db'); // '/srv/app.db-wasmlite-owner'
 */
export function ownerLockPath(dbPath: string): string {
  return `${dbPath}-wasmlite-owner`;
}

/**
 * One owner process per database file, across processes: Node has no POSIX advisory locks, so
 * SQLite's locks can only coordinate the connections of one process. The owner is recorded in a
 * lock file created atomically beside the database ({@link ownerLockPath}); ownership is counted
 * per file and released with the last connection, or when the process exits.
 *
 * A lock left by a dead process (its pid gone, or reused by a process with another start time)
 * is taken over. `acquire` throws {@link OwnerLockError} while another live process owns the
 * file, and returns false when the directory is not writable (no owner is possible: the caller
 * opens read-only).
 *
 * @example
 * const owner = OwnerLock.forProcess();
 * owner.acquire('/srv/app.db'); // true, or throws OwnerLockError('database /srv/app.db is in use by process 1234')
 * owner.release('/srv/app.db');
 */
export class OwnerLock implements MainFileOwner {
  static #process: OwnerLock | undefined;

  /** The instance shared by everything in this thread that opens database files. */
  static forProcess(): OwnerLock {
    OwnerLock.#process ??= new OwnerLock();
    return OwnerLock.#process;
  }

  readonly #held = new Map<string, number>();
  readonly #host = hostname();
  // Built when a file is first owned: a process that only uses :memory: never needs it.
  #own: { record: OwnerRecord; text: string } | undefined;

  constructor() {
    process.on('exit', () => this.releaseAll());
  }

  get #record(): OwnerRecord {
    return this.#mine().record;
  }

  get #text(): string {
    return this.#mine().text;
  }

  #mine(): { record: OwnerRecord; text: string } {
    if (this.#own === undefined) {
      const record = {
        pid: process.pid,
        startTime: processStartTime(process.pid),
        hostname: this.#host,
        token: randomToken(),
      };
      this.#own = { record, text: JSON.stringify(record) };
    }
    return this.#own;
  }

  acquire(dbPath: string): boolean {
    const count = this.#held.get(dbPath);
    if (count !== undefined) {
      this.#held.set(dbPath, count + 1);
      return true;
    }
    const lockPath = ownerLockPath(dbPath);
    for (let attempt = 0; ; attempt++) {
      let created: boolean;
      try {
        created = this.#create(lockPath);
      } catch (error) {
        if (!isPermissionError(error)) throw error;
        const owner = readOwner(lockPath);
        if (owner.kind === 'record' && this.#isLive(owner.record)) throw this.#busy(dbPath, owner.record);
        return false;
      }
      if (created) {
        this.#held.set(dbPath, 1);
        return true;
      }
      const owner = readOwner(lockPath);
      if (owner.kind === 'missing') continue;
      if (owner.kind === 'record' && this.#isLive(owner.record)) throw this.#busy(dbPath, owner.record);
      if ((owner.kind === 'unreadable' && this.#mayBeWriting(lockPath, owner)) || attempt >= MAX_ATTEMPTS) {
        throw this.#busy(dbPath, owner.kind === 'record' ? owner.record : undefined);
      }
      this.#takeOver(lockPath, owner.text);
    }
  }

  release(dbPath: string): void {
    const count = this.#held.get(dbPath);
    if (count === undefined) return;
    if (count > 1) {
      this.#held.set(dbPath, count - 1);
      return;
    }
    this.#held.delete(dbPath);
    removeIfUnchanged(ownerLockPath(dbPath), this.#text);
  }

  /** Releases every lock this instance holds (run on process exit). */
  releaseAll(): void {
    for (const dbPath of this.#held.keys()) removeIfUnchanged(ownerLockPath(dbPath), this.#text);
    this.#held.clear();
  }

  /**
   * Removes a stale lock. Two processes may find the same stale lock; if both simply deleted it
   * and created their own, the second could delete the first one's fresh lock and both would own
   * the file. So removals are serialized by a second lock file, created exclusively, and under it
   * the lock is removed only if its content is still byte-identical to what was judged stale (the
   * content holds a random token, so a fresh lock never compares equal). Creating a lock needs the
   * file to be absent, so no creator can interleave with that check-and-remove either.
   *
   * The takeover lock is held for microseconds; if its holder died right then, it is itself
   * removed once its owner is seen dead, with a small window (two processes removing the same
   * dead takeover lock at the same instant) that is accepted as negligible.
   */
  #takeOver(lockPath: string, staleText: string): void {
    const takeoverPath = `${lockPath}-takeover`;
    if (!this.#create(takeoverPath)) {
      const other = readOwner(takeoverPath);
      if (
        (other.kind === 'record' && !this.#isLive(other.record)) ||
        (other.kind === 'unreadable' && !this.#mayBeWriting(takeoverPath, other))
      ) {
        removeIfUnchanged(takeoverPath, other.text);
      }
      Atomics.wait(sleepCell, 0, 0, 5);
      return;
    }
    try {
      removeIfUnchanged(lockPath, staleText);
    } finally {
      removeIfUnchanged(takeoverPath, this.#text);
    }
  }

  /** Creates `path` holding this owner's record, atomically: false if it already exists. */
  #create(path: string): boolean {
    // Written aside and hard-linked into place, so that a reader never sees a half-written lock.
    const temp = `${path}.${this.#record.token}.tmp`;
    fs.writeFileSync(temp, this.#text, { mode: 0o644 });
    try {
      fs.linkSync(temp, path);
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return false;
      if (!isNoHardLinks(code)) throw error;
      // No hard links on this file system: exclusive create, then write (see WRITE_GRACE_MS).
      let fd: number;
      try {
        fd = fs.openSync(path, 'wx', 0o644);
      } catch (inner) {
        if (errorCode(inner) === 'EEXIST') return false;
        throw inner;
      }
      try {
        fs.writeSync(fd, this.#text);
      } finally {
        fs.closeSync(fd);
      }
      return true;
    } finally {
      try {
        fs.unlinkSync(temp);
      } catch {
        // Already gone; nothing to clean.
      }
    }
  }

  /**
   * Whether the unreadable lock at `path` may be one another process is still writing: only
   * where the file system has no hard links (see WRITE_GRACE_MS), found by linking a probe file
   * beside it (a link to an existing name fails with EEXIST before the file system is asked).
   */
  #mayBeWriting(path: string, owner: { young: boolean }): boolean {
    if (!owner.young) return false;
    const probe = `${path}.${this.#record.token}.probe`;
    try {
      fs.writeFileSync(probe, '');
      fs.linkSync(probe, `${probe}-link`);
      fs.unlinkSync(`${probe}-link`);
      return false;
    } catch (error) {
      if (isNoHardLinks(errorCode(error))) return true;
      throw error;
    } finally {
      fs.rmSync(probe, { force: true });
    }
  }

  #isLive(owner: OwnerRecord): boolean {
    // Another machine sharing the file system: its processes cannot be checked from here.
    if (owner.hostname !== this.#host) return true;
    if (owner.pid === process.pid && owner.startTime === this.#record.startTime) {
      return owner.token !== this.#record.token;
    }
    try {
      process.kill(owner.pid, 0);
    } catch (error) {
      if (errorCode(error) === 'ESRCH') return false;
    }
    if (owner.startTime === null) return true;
    const startTime = processStartTime(owner.pid);
    return startTime === null || startTime === owner.startTime;
  }

  #busy(dbPath: string, owner: OwnerRecord | undefined): OwnerLockError {
    return new OwnerLockError(
      dbPath,
      owner?.pid ?? 0,
      owner !== undefined && owner.hostname !== this.#host ? owner.hostname : undefined,
    );
  }
}

function readOwner(path: string): ReadOwner {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<OwnerRecord>;
    if (
      Number.isInteger(value.pid) &&
      (value.pid as number) > 0 &&
      typeof value.hostname === 'string' &&
      typeof value.token === 'string'
    ) {
      return {
        kind: 'record',
        record: {
          pid: value.pid!,
          startTime: typeof value.startTime === 'string' ? value.startTime : null,
          hostname: value.hostname,
          token: value.token,
        },
        text,
      };
    }
  } catch {
    // Not JSON: judged by age below.
  }
  let young = false;
  try {
    young = Date.now() - fs.statSync(path).mtimeMs < WRITE_GRACE_MS;
  } catch {
    return { kind: 'missing' };
  }
  return { kind: 'unreadable', text, young };
}

/** Deletes `path` if it still holds `text`; never throws. */
function removeIfUnchanged(path: string, text: string): void {
  try {
    if (fs.readFileSync(path, 'utf8') === text) fs.unlinkSync(path);
  } catch {
    // Gone already, or unreadable: either way not ours to remove.
  }
}

/** The codes `link` fails with on a file system without hard links. */
function isNoHardLinks(code: string | undefined): boolean {
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS';
}

function isPermissionError(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}

/** 16 random bytes as hex: what tells this process's lock records from any other's. */
function randomToken(): string {
  const bytes = new Uint8Array(16);
  randomFill(bytes);
  return Buffer.from(bytes).toString('hex');
}
