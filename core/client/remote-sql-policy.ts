import type { Database } from '../database/database.ts';
import type { Statement } from '../database/statement.ts';
import {
  SQLITE_ATTACH,
  SQLITE_CREATE_INDEX,
  SQLITE_CREATE_TABLE,
  SQLITE_CREATE_TEMP_INDEX,
  SQLITE_CREATE_TEMP_TABLE,
  SQLITE_CREATE_TEMP_TRIGGER,
  SQLITE_CREATE_TEMP_VIEW,
  SQLITE_CREATE_TRIGGER,
  SQLITE_CREATE_VIEW,
  SQLITE_CREATE_VTABLE,
  SQLITE_DELETE,
  SQLITE_DETACH,
  SQLITE_FUNCTION,
  SQLITE_INSERT,
  SQLITE_OK,
  SQLITE_PRAGMA,
  SQLITE_SAVEPOINT,
  SQLITE_UPDATE,
} from '../sqlite3/constants.ts';
import { ForbiddenActionError } from './forbidden-action-error.ts';

/**
 * Pragmas that only report, whatever their argument (a table or index name, a row limit): the
 * schema and integrity introspection ORMs and migration tools run, directly or as table-valued
 * functions (`SELECT * FROM pragma_table_info('t')`).
 */
const INTROSPECTION = new Set([
  'table_info',
  'table_xinfo',
  'table_list',
  'index_list',
  'index_info',
  'index_xinfo',
  'foreign_key_list',
  'foreign_key_check',
  'integrity_check',
  'quick_check',
  'database_list',
  'collation_list',
  'function_list',
  'module_list',
  'pragma_list',
  'compile_options',
]);

/** Settings and counters that may be read (the bare `PRAGMA name` form), never set. */
const READABLE = new Set([
  'page_count',
  'page_size',
  'max_page_count',
  'freelist_count',
  'schema_version',
  'user_version',
  'application_id',
  'data_version',
  'encoding',
  'auto_vacuum',
  'foreign_keys',
  'defer_foreign_keys',
  'recursive_triggers',
  'ignore_check_constraints',
  'query_only',
  'journal_mode',
  'locking_mode',
  'synchronous',
  'wal_autocheckpoint',
  'busy_timeout',
  'cache_size',
  'temp_store',
  'mmap_size',
  'secure_delete',
  'cell_size_check',
  'legacy_alter_table',
  'automatic_index',
  'trusted_schema',
  'writable_schema',
  'reverse_unordered_selects',
]);

/**
 * Fields of the database header that migration tools write to version a schema: a write to the
 * database like any other (captured and replicated; `Statement.readonly` is false, so a read
 * token cannot), not a setting of the connection.
 */
const HEADER_FIELDS = new Set(['user_version', 'application_id']);

/**
 * Setters that cannot outlive what they run in: inside a transaction `foreign_keys` does nothing
 * and `defer_foreign_keys` is reset by its end; a script's are put back by its runner. Allowed
 * only inside {@link RemoteSqlPolicy.withForeignKeyPragmas}.
 */
const FOREIGN_KEY_PRAGMAS = new Set(['foreign_keys', 'defer_foreign_keys']);

/**
 * Values that turn a boolean pragma on (SQLite's `getBoolean`). Turning foreign keys on is
 * allowed everywhere: every connection the policy guards has them on already (`open()`'s
 * default), so it can only put back what a script turned off, never weaken enforcement.
 */
const ON = /^(?:on|yes|true|1)$/i;

/** Functions remote SQL may not call. */
const REFUSED_FUNCTIONS = new Set(['load_extension', 'fts3_tokenizer']);

/** The kind of object each creating action makes (in `temp` with a TEMP code, or with `temp.` before its name). */
const CREATED = new Map([
  [SQLITE_CREATE_TEMP_INDEX, 'INDEX'],
  [SQLITE_CREATE_TEMP_TABLE, 'TABLE'],
  [SQLITE_CREATE_TEMP_TRIGGER, 'TRIGGER'],
  [SQLITE_CREATE_TEMP_VIEW, 'VIEW'],
  [SQLITE_CREATE_INDEX, 'INDEX'],
  [SQLITE_CREATE_TABLE, 'TABLE'],
  [SQLITE_CREATE_TRIGGER, 'TRIGGER'],
  [SQLITE_CREATE_VIEW, 'VIEW'],
  [SQLITE_CREATE_VTABLE, 'VIRTUAL TABLE'],
]);
const TEMP_CODES = new Set([
  SQLITE_CREATE_TEMP_INDEX,
  SQLITE_CREATE_TEMP_TABLE,
  SQLITE_CREATE_TEMP_TRIGGER,
  SQLITE_CREATE_TEMP_VIEW,
]);

/** What the policy is asked about: a remote statement being compiled, one being run, or the server's own SQL. */
type Phase = 'compile' | 'run' | 'trusted';

/**
 * What SQL sent by a remote client may do on a connection, decided by SQLite's authorizer
 * (`Database.setAuthorizer`) while SQLite compiles each statement, never by reading its text: a
 * quoted or bracketed name, a comment or a leading `;` compile to the same actions. Installed on
 * every connection of the primary that runs remote SQL, and on a replica client's local
 * connection (where a refused statement is sent to the primary, which refuses it).
 *
 * Refused, each with a {@link ForbiddenActionError} (`SQLITE_AUTH`) naming the action:
 * - `ATTACH` and `DETACH` (another file would be read, created or written past the log), and
 *   `VACUUM INTO` a file (seen as its `ATTACH` when it runs; a plain `VACUUM`'s own `ATTACH` of a
 *   nameless temporary file is allowed);
 * - `CREATE TEMP TABLE / VIEW / TRIGGER / INDEX`, and any table, view, trigger, index or virtual
 *   table created in `temp` (`CREATE TABLE temp.x`), and any insert in `temp` (where every such
 *   object is recorded): temporary objects belong to the connection and outlive the request (a
 *   TEMP trigger rewrote other clients' rows);
 * - `load_extension()` and `fts3_tokenizer()`;
 * - writes to `sqlite_dbpage` (raw pages);
 * - every `PRAGMA` not allowed below, in particular any setter of the connection's state:
 *   `foreign_keys`, `defer_foreign_keys` (both allowed by {@link withForeignKeyPragmas}),
 *   `ignore_check_constraints`, `query_only`, `locking_mode`, `journal_mode`, `synchronous`,
 *   `wal_autocheckpoint`, `writable_schema`, `max_page_count`, `cache_size`, `busy_timeout`,
 *   `recursive_triggers`, `case_sensitive_like`, `temp_store`, `mmap_size`, … and pragmas that act
 *   (`wal_checkpoint`, `optimize`, `shrink_memory`, `incremental_vacuum`).
 *
 * The allow-list of pragmas:
 * - introspection, with any argument: `table_info`, `table_xinfo`, `table_list`, `index_list`,
 *   `index_info`, `index_xinfo`, `foreign_key_list`, `foreign_key_check`, `integrity_check`,
 *   `quick_check`, `database_list`, `collation_list`, `function_list`, `module_list`,
 *   `pragma_list`, `compile_options` (also as table-valued functions, `pragma_table_info('t')`);
 * - reading a setting or counter (the bare `PRAGMA name`): `page_count`, `page_size`,
 *   `max_page_count`, `freelist_count`, `schema_version`, `user_version`, `application_id`,
 *   `data_version`, `encoding`, `auto_vacuum`, `foreign_keys`, `defer_foreign_keys`,
 *   `recursive_triggers`, `ignore_check_constraints`, `query_only`, `journal_mode`,
 *   `locking_mode`, `synchronous`, `wal_autocheckpoint`, `busy_timeout`, `cache_size`,
 *   `temp_store`, `mmap_size`, `secure_delete`, `cell_size_check`, `legacy_alter_table`,
 *   `automatic_index`, `trusted_schema`, `writable_schema`, `reverse_unordered_selects`;
 * - writing `user_version` or `application_id`: header fields migration tools version a schema
 *   with, a write to the database (replicated like any), so a write token only;
 * - `PRAGMA foreign_keys = ON` (or `1`, `true`, `yes`): the guarded connections enforce foreign
 *   keys already, so it changes nothing or puts back what a script turned off (ORM setups send it
 *   on connect).
 *
 * Everything else SQLite compiles (reads, writes, DDL on `main`, transactions and savepoints,
 * other functions) is allowed here; who may write is decided elsewhere (`Statement.readonly`).
 *
 * @example
 * const policy = RemoteSqlPolicy.install(db);
 * policy.compile(() => db.prepare('PRAGMA table_info(t)'));        // allowed
 * policy.compile(() => db.prepare('PRAGMA "foreign_keys" = OFF')); // ForbiddenActionError
 * policy.trusted(() => db.exec('PRAGMA foreign_keys = ON'));       // the server's own SQL
 */
export class RemoteSqlPolicy {
  readonly #db: Database;
  /** Finds a compiled program's `Vacuum` instruction (see {@link exec}); prepared on first use. */
  #vacuumProbe: Statement<unknown[]> | undefined;
  #phase: Phase = 'compile';
  #foreignKeyPragmas = false;
  #usedForeignKeyPragma = false;
  #savepoint = false;

  /**
   * Installs a policy as `db`'s authorizer (replacing any other) and returns it.
   *
   * @example
   * const policy = RemoteSqlPolicy.install(db);
   */
  static install(db: Database): RemoteSqlPolicy {
    const policy = new RemoteSqlPolicy(db);
    db.setAuthorizer((action, arg1, arg2, database) => policy.#authorize(action, arg1, arg2, database));
    return policy;
  }

  private constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Runs one statement of a script through `sqlite3_exec` (which finalizes it at once, so a long
   * script keeps no statements alive), compiled and run under the policy. `exec` cannot tell
   * compiling from running, so everything is checked as compiled, which refuses a plain
   * `VACUUM`'s own `ATTACH` of a temporary file: a statement refused at an `ATTACH` whose program
   * is a `VACUUM` (nothing of it ran) runs again with the run-time rules, where only `VACUUM INTO`
   * is refused.
   *
   * @example
   * policy.exec('VACUUM;');
   */
  exec(sql: string): void {
    try {
      this.compile(() => this.#db.exec(sql));
    } catch (error) {
      if (!(error instanceof ForbiddenActionError && error.action === 'ATTACH' && this.isVacuum(sql))) throw error;
      this.run(() => this.#db.exec(sql));
    }
  }

  /**
   * Whether `sql` compiles to a `VACUUM` (its program has a `Vacuum` instruction): it cannot run
   * inside a transaction. Compiles `sql` only to read its program: nothing of it runs.
   *
   * @example
   * policy.isVacuum('VACUUM'); // true
   */
  isVacuum(sql: string): boolean {
    const probe = (this.#vacuumProbe ??= this.trusted(() =>
      this.#db.prepare<unknown[]>("SELECT 1 FROM bytecode(?) WHERE opcode = 'Vacuum'").raw(),
    ));
    return this.trusted(() => probe.get(sql)) !== undefined;
  }

  /**
   * Runs `prepare`, which compiles remote SQL, under the policy (the phase outside of
   * {@link run} and {@link trusted} too); a refused action throws from it.
   *
   * @example
   * const stmt = policy.compile(() => db.prepare(sql));
   */
  compile<T>(prepare: () => T): T {
    this.#usedForeignKeyPragma = false;
    this.#savepoint = false;
    return this.#in('compile', prepare);
  }

  /**
   * Runs `step`, which runs a statement {@link compile} let through: what SQLite checks while it
   * runs (`VACUUM`'s temporary copy, pragma table-valued functions) is checked too.
   *
   * @example
   * const rows = policy.run(() => stmt.all());
   */
  run<T>(step: () => T): T {
    return this.#in('run', step);
  }

  /**
   * Runs `fn` with the policy off: for the server's own statements (restoring a setting, say).
   *
   * @example
   * policy.trusted(() => db.exec('PRAGMA foreign_keys = ON'));
   */
  trusted<T>(fn: () => T): T {
    return this.#in('trusted', fn);
  }

  /**
   * Runs `fn` with `PRAGMA foreign_keys` and `defer_foreign_keys` setters allowed: for statements
   * compiled inside a transaction (where they cannot outlive it) and scripts whose runner puts
   * them back.
   *
   * @example
   * policy.withForeignKeyPragmas(() => runScript(statements));
   */
  withForeignKeyPragmas<T>(fn: () => T): T {
    const before = this.#foreignKeyPragmas;
    this.#foreignKeyPragmas = true;
    try {
      return fn();
    } finally {
      this.#foreignKeyPragmas = before;
    }
  }

  /**
   * Whether the last {@link compile} let a foreign key pragma through {@link withForeignKeyPragmas}:
   * such a statement must not be kept for reuse elsewhere.
   */
  get usedForeignKeyPragma(): boolean {
    return this.#usedForeignKeyPragma;
  }

  /** Whether the last {@link compile} was of a savepoint statement (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`). */
  get savepoint(): boolean {
    return this.#savepoint;
  }

  #in<T>(phase: Phase, fn: () => T): T {
    const before = this.#phase;
    this.#phase = phase;
    try {
      return fn();
    } finally {
      this.#phase = before;
    }
  }

  #authorize(action: number, arg1: string | null, arg2: string | null, database: string | null): number {
    if (this.#phase === 'trusted') return SQLITE_OK;
    switch (action) {
      case SQLITE_PRAGMA:
        return this.#pragma(arg1 ?? '', arg2);
      case SQLITE_ATTACH:
        // Run-time ATTACHes come from VACUUM: '' is its own temporary copy, a name is VACUUM INTO.
        if (this.#phase === 'run' && arg1 === '') return SQLITE_OK;
        if (this.#phase === 'run')
          throw new ForbiddenActionError(
            'VACUUM INTO',
            `VACUUM INTO '${arg1}' is refused: remote SQL cannot write files`,
          );
        throw new ForbiddenActionError(
          'ATTACH',
          `ATTACH '${arg1}' is refused: remote SQL works on the one database and cannot attach files`,
        );
      case SQLITE_DETACH:
        throw new ForbiddenActionError(
          'DETACH',
          `DETACH ${arg1} is refused: remote SQL cannot attach or detach databases`,
        );
      case SQLITE_CREATE_TEMP_INDEX:
      case SQLITE_CREATE_TEMP_TABLE:
      case SQLITE_CREATE_TEMP_TRIGGER:
      case SQLITE_CREATE_TEMP_VIEW:
      case SQLITE_CREATE_INDEX:
      case SQLITE_CREATE_TABLE:
      case SQLITE_CREATE_TRIGGER:
      case SQLITE_CREATE_VIEW:
      case SQLITE_CREATE_VTABLE: {
        if (!TEMP_CODES.has(action) && database?.toLowerCase() !== 'temp') return SQLITE_OK;
        const kind = CREATED.get(action)!;
        throw new ForbiddenActionError(
          `CREATE TEMP ${kind}`,
          `CREATE TEMP ${kind} ${arg1} is refused: a temporary object would outlive the request on a shared connection`,
        );
      }
      case SQLITE_FUNCTION:
        if (arg2 !== null && REFUSED_FUNCTIONS.has(arg2.toLowerCase())) {
          throw new ForbiddenActionError(
            `${arg2}()`,
            `${arg2}() is refused: remote SQL cannot load extensions or register tokenizers`,
          );
        }
        return SQLITE_OK;
      case SQLITE_INSERT:
      case SQLITE_UPDATE:
      case SQLITE_DELETE:
        if (arg1 !== null && arg1.toLowerCase() === 'sqlite_dbpage') {
          throw new ForbiddenActionError(
            'write sqlite_dbpage',
            'writing sqlite_dbpage is refused: remote SQL cannot write raw pages',
          );
        }
        // Every temporary object is a row inserted into temp's schema table: `CREATE TRIGGER temp.x
        // ON main_table` is authorized as a main trigger, but its row goes there. (ALTER TABLE updates
        // that table, harmlessly, when it renames.)
        if (action === SQLITE_INSERT && database?.toLowerCase() === 'temp') {
          throw new ForbiddenActionError(
            'CREATE TEMP',
            `writing ${arg1} in temp is refused: a temporary object would outlive the request on a shared connection`,
          );
        }
        return SQLITE_OK;
      case SQLITE_SAVEPOINT:
        this.#savepoint = true;
        return SQLITE_OK;
      default:
        return SQLITE_OK;
    }
  }

  #pragma(name: string, value: string | null): number {
    const pragma = name.toLowerCase();
    if (INTROSPECTION.has(pragma)) return SQLITE_OK;
    if (value === null && READABLE.has(pragma)) return SQLITE_OK;
    if (HEADER_FIELDS.has(pragma)) return SQLITE_OK;
    if (pragma === 'foreign_keys' && value !== null && ON.test(value)) return SQLITE_OK;
    if (this.#foreignKeyPragmas && FOREIGN_KEY_PRAGMAS.has(pragma)) {
      this.#usedForeignKeyPragma = true;
      return SQLITE_OK;
    }
    if (value === null) {
      throw new ForbiddenActionError(
        `PRAGMA ${pragma}`,
        `PRAGMA ${pragma} is refused: it is not one of the read-only pragmas remote SQL may run`,
      );
    }
    throw new ForbiddenActionError(
      `PRAGMA ${pragma}`,
      `PRAGMA ${pragma} = ${value} is refused: remote SQL cannot change the connection's settings`,
    );
  }
}
