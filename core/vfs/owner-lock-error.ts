import { WasmliteError } from '../util/wasmlite-error.ts';

/**
 * Another live process owns the database file: wasmlite lets one process at a time use a file,
 * because Node has no POSIX advisory locks to coordinate with it. Reaches the user as the
 * `cause` of an `SQLITE_BUSY` when opening. Retrying once that process has exited succeeds; a
 * crashed owner's lock is taken over automatically.
 *
 * @example
 * catch (e) { if (e.cause instanceof OwnerLockError) console.log(`close process ${e.cause.ownerPid} first`); }
 */
export class OwnerLockError extends WasmliteError {
  /** The database file. */
  readonly path: string;
  /** The pid of the owning process (0 if its lock file could not be read yet). */
  readonly ownerPid: number;
  /** The owner's host name, when it is another machine sharing the file system. */
  readonly ownerHost: string | undefined;

  constructor(path: string, ownerPid: number, ownerHost?: string) {
    const owner = ownerPid > 0 ? `process ${ownerPid}` : 'another process';
    super(`database ${path} is in use by ${owner}${ownerHost === undefined ? '' : ` on ${ownerHost}`}`, 'OWNER_LOCKED');
    this.path = path;
    this.ownerPid = ownerPid;
    this.ownerHost = ownerHost;
  }

  override get name(): string {
    return 'OwnerLockError';
  }
}
