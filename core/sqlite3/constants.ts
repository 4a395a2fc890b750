/** SQLite's C constants used by wasmlite (values from sqlite3.h; they never change). */
export const SQLITE_OK = 0;
export const SQLITE_ERROR = 1;
export const SQLITE_BUSY = 5;
export const SQLITE_LOCKED = 6;
export const SQLITE_NOMEM = 7;
export const SQLITE_READONLY = 8;
export const SQLITE_IOERR = 10;
export const SQLITE_CORRUPT = 11;
export const SQLITE_NOTFOUND = 12;
export const SQLITE_FULL = 13;
export const SQLITE_CANTOPEN = 14;
export const SQLITE_MISUSE = 21;
export const SQLITE_RANGE = 25;
export const SQLITE_NOTADB = 26;
export const SQLITE_ROW = 100;
export const SQLITE_DONE = 101;

/**
 * The primary result code of an extended one (its low byte): `SQLITE_BUSY` for `SQLITE_BUSY_SNAPSHOT`.
 * @example if (primaryResultCode(rc) === SQLITE_BUSY) retry();
 */
export function primaryResultCode(rc: number): number {
  return rc & 0xff;
}

export const SQLITE_INTEGER = 1;
export const SQLITE_FLOAT = 2;
export const SQLITE_TEXT = 3;
export const SQLITE_BLOB = 4;
export const SQLITE_NULL = 5;

/** Destructor value telling SQLite to copy a bound string or blob before the call returns. */
export const SQLITE_TRANSIENT = -1;

export const SQLITE_OPEN_READONLY = 0x1;
export const SQLITE_OPEN_READWRITE = 0x2;
export const SQLITE_OPEN_CREATE = 0x4;
export const SQLITE_OPEN_DELETEONCLOSE = 0x8;
export const SQLITE_OPEN_EXCLUSIVE = 0x10;
export const SQLITE_OPEN_URI = 0x40;
export const SQLITE_OPEN_MEMORY = 0x80;
export const SQLITE_OPEN_MAIN_DB = 0x100;
export const SQLITE_OPEN_TEMP_DB = 0x200;
export const SQLITE_OPEN_TRANSIENT_DB = 0x400;
export const SQLITE_OPEN_MAIN_JOURNAL = 0x800;
export const SQLITE_OPEN_TEMP_JOURNAL = 0x1000;
export const SQLITE_OPEN_SUBJOURNAL = 0x2000;
export const SQLITE_OPEN_SUPER_JOURNAL = 0x4000;
export const SQLITE_OPEN_NOMUTEX = 0x8000;
export const SQLITE_OPEN_FULLMUTEX = 0x10000;
export const SQLITE_OPEN_WAL = 0x80000;
export const SQLITE_OPEN_EXRESCODE = 0x2000000;

export const SQLITE_PREPARE_PERSISTENT = 0x1;

export const SQLITE_DESERIALIZE_FREEONCLOSE = 0x1;
export const SQLITE_DESERIALIZE_RESIZEABLE = 0x2;
export const SQLITE_DESERIALIZE_READONLY = 0x4;

export const SQLITE_STMTSTATUS_REPREPARE = 5;

export const SQLITE_UTF8 = 1;
export const SQLITE_DETERMINISTIC = 0x800;
export const SQLITE_DIRECTONLY = 0x80000;

export const SQLITE_CONSTRAINT = 19;
export const SQLITE_INDEX_CONSTRAINT_EQ = 2;
export const SQLITE_INDEX_CONSTRAINT_LIMIT = 73;
export const SQLITE_INDEX_CONSTRAINT_OFFSET = 74;
export const SQLITE_VTAB_DIRECTONLY = 3;

export const SQLITE_LOCK_NONE = 0;
export const SQLITE_LOCK_SHARED = 1;
export const SQLITE_LOCK_RESERVED = 2;
export const SQLITE_LOCK_PENDING = 3;
export const SQLITE_LOCK_EXCLUSIVE = 4;

export const SQLITE_SYNC_NORMAL = 0x2;
export const SQLITE_SYNC_FULL = 0x3;
export const SQLITE_SYNC_DATAONLY = 0x10;

export const SQLITE_ACCESS_EXISTS = 0;
export const SQLITE_ACCESS_READWRITE = 1;
export const SQLITE_ACCESS_READ = 2;

export const SQLITE_SHM_UNLOCK = 1;
export const SQLITE_SHM_LOCK = 2;
export const SQLITE_SHM_SHARED = 4;
export const SQLITE_SHM_EXCLUSIVE = 8;
export const SQLITE_SHM_NLOCK = 8;

export const SQLITE_IOCAP_POWERSAFE_OVERWRITE = 0x1000;

export const SQLITE_IOERR_READ = 10 | (1 << 8);
export const SQLITE_IOERR_SHORT_READ = 10 | (2 << 8);
export const SQLITE_IOERR_WRITE = 10 | (3 << 8);
export const SQLITE_IOERR_FSYNC = 10 | (4 << 8);
export const SQLITE_IOERR_DIR_FSYNC = 10 | (5 << 8);
export const SQLITE_IOERR_TRUNCATE = 10 | (6 << 8);
export const SQLITE_IOERR_FSTAT = 10 | (7 << 8);
export const SQLITE_IOERR_UNLOCK = 10 | (8 << 8);
export const SQLITE_IOERR_RDLOCK = 10 | (9 << 8);
export const SQLITE_IOERR_DELETE = 10 | (10 << 8);
export const SQLITE_IOERR_ACCESS = 10 | (13 << 8);
export const SQLITE_IOERR_CHECKRESERVEDLOCK = 10 | (14 << 8);
export const SQLITE_IOERR_LOCK = 10 | (15 << 8);
export const SQLITE_IOERR_CLOSE = 10 | (16 << 8);
export const SQLITE_IOERR_SHMOPEN = 10 | (18 << 8);
export const SQLITE_IOERR_SHMSIZE = 10 | (19 << 8);
export const SQLITE_IOERR_SHMMAP = 10 | (21 << 8);
export const SQLITE_IOERR_DELETE_NOENT = 10 | (23 << 8);
export const SQLITE_BUSY_SNAPSHOT = 5 | (2 << 8);
export const SQLITE_CANTOPEN_ISDIR = 14 | (2 << 8);
export const SQLITE_CANTOPEN_FULLPATH = 14 | (3 << 8);

export const SQLITE_FCNTL_SIZE_HINT = 5;
export const SQLITE_FCNTL_PRAGMA = 14;
export const SQLITE_FCNTL_COMMIT_PHASETWO = 22;
export const SQLITE_FCNTL_SYNC = 21;

// Used by the VFS (core/vfs).
export const SQLITE_OPEN_TYPE_MASK = 0x0fff00;
export const SQLITE_IOERR_SHMLOCK = 10 | (20 << 8);
export const SQLITE_READONLY_DIRECTORY = 8 | (6 << 8);

/** What an authorizer callback answers (sqlite3.h): allow, fail the statement's preparation, or read NULL. */
export const SQLITE_DENY = 1;
export const SQLITE_IGNORE = 2;
/** The result code of a statement an authorizer denied. */
export const SQLITE_AUTH = 23;

/** Authorizer action codes (sqlite3.h); the comment says what the callback's two arguments are. */
export const SQLITE_CREATE_INDEX = 1; // index, table
export const SQLITE_CREATE_TABLE = 2; // table, NULL
export const SQLITE_CREATE_TEMP_INDEX = 3; // index, table
export const SQLITE_CREATE_TEMP_TABLE = 4; // table, NULL
export const SQLITE_CREATE_TEMP_TRIGGER = 5; // trigger, table
export const SQLITE_CREATE_TEMP_VIEW = 6; // view, NULL
export const SQLITE_CREATE_TRIGGER = 7; // trigger, table
export const SQLITE_CREATE_VIEW = 8; // view, NULL
export const SQLITE_DELETE = 9; // table, NULL
export const SQLITE_DROP_INDEX = 10; // index, table
export const SQLITE_DROP_TABLE = 11; // table, NULL
export const SQLITE_DROP_TEMP_INDEX = 12; // index, table
export const SQLITE_DROP_TEMP_TABLE = 13; // table, NULL
export const SQLITE_DROP_TEMP_TRIGGER = 14; // trigger, table
export const SQLITE_DROP_TEMP_VIEW = 15; // view, NULL
export const SQLITE_DROP_TRIGGER = 16; // trigger, table
export const SQLITE_DROP_VIEW = 17; // view, NULL
export const SQLITE_INSERT = 18; // table, NULL
export const SQLITE_PRAGMA = 19; // pragma name, its argument or NULL
export const SQLITE_READ = 20; // table, column
export const SQLITE_SELECT = 21; // NULL, NULL
export const SQLITE_TRANSACTION = 22; // operation, NULL
export const SQLITE_UPDATE = 23; // table, column
export const SQLITE_ATTACH = 24; // file name, NULL
export const SQLITE_DETACH = 25; // schema name, NULL
export const SQLITE_ALTER_TABLE = 26; // schema name, table
export const SQLITE_REINDEX = 27; // index, NULL
export const SQLITE_ANALYZE = 28; // table, NULL
export const SQLITE_CREATE_VTABLE = 29; // table, module
export const SQLITE_DROP_VTABLE = 30; // table, module
export const SQLITE_FUNCTION = 31; // NULL, function name
export const SQLITE_SAVEPOINT = 32; // operation, savepoint name
export const SQLITE_RECURSIVE = 33; // NULL, NULL
