import { SQLITE_AUTH } from '../sqlite3/constants.ts';
import { SqliteError } from '../database/sqlite-error.ts';

/**
 * A statement refused by the {@link RemoteSqlPolicy}: SQLite's authorizer denied one of its
 * actions while it was compiled (or, for `VACUUM INTO`, run), so nothing of it ran. An
 * `SqliteError` with code `SQLITE_AUTH`, as SQLite reports a denied action, whose message names
 * what was refused and why; `action` is that action in short (`ATTACH`, `PRAGMA foreign_keys`,
 * `CREATE TEMP TRIGGER`, `load_extension()`, `VACUUM INTO`). The primary answers it with 403
 * `FORBIDDEN_ACTION`; a `Client` raises it as a `LibsqlError` with code `SQLITE_AUTH`.
 *
 * @example
 * try { await client.execute('PRAGMA foreign_keys = OFF'); }
 * catch (e) { if (e instanceof LibsqlError && e.code === 'SQLITE_AUTH') … } // through a replica
 */
export class ForbiddenActionError extends SqliteError {
  /** The refused action, e.g. `PRAGMA foreign_keys` or `ATTACH`. */
  readonly action: string;

  constructor(action: string, message: string) {
    super(message, 'SQLITE_AUTH', SQLITE_AUTH);
    this.action = action;
  }

  override get name(): string {
    return 'ForbiddenActionError';
  }
}
