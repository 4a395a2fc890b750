import { describe, expect, it } from 'vitest';
import { ClientError, ForbiddenActionError, LibsqlError, SqliteError, WasmliteError } from '../../../core/index.ts';
import { OwnerLockError } from '../../../core/vfs/index.ts';
import { receiveError, sendError } from '../../../replication/http/engine-errors.ts';
import { errorResponse } from '../../../replication/http/error-status.ts';
import { LogCorruptionError, LogIoError, Position, PositionMismatchError } from '../../../replication/log/index.ts';
import { RequestError } from '../../../replication/primary/request-error.ts';
import { failedStatementIndex, markFailedStatement } from '../../../replication/primary/statement-executor.ts';

/** `error` as the server's thread gets it from the engine worker: sent, structured-cloned, rebuilt. */
function across(error: unknown): Error {
  return receiveError(structuredClone(sendError(error)));
}

describe('errors', () => {
  it('share one base with a string code and the class as name', () => {
    const errors: Array<[Error, string, string]> = [
      [new SqliteError('no such table: t', 'SQLITE_ERROR', 1), 'SqliteError', 'SQLITE_ERROR'],
      [new LibsqlError('boom', 'SQLITE_CONSTRAINT'), 'LibsqlError', 'SQLITE_CONSTRAINT'],
      [new ClientError('closed', 'CLIENT_CLOSED'), 'ClientError', 'CLIENT_CLOSED'],
      [new ForbiddenActionError('ATTACH', 'attach refused'), 'ForbiddenActionError', 'SQLITE_AUTH'],
      [new OwnerLockError('/db', 42), 'OwnerLockError', 'OWNER_LOCKED'],
      [new RequestError('READ_ONLY_TOKEN', 'no'), 'RequestError', 'READ_ONLY_TOKEN'],
      [new LogCorruptionError('bad crc', { field: 'crc', offset: 8 }), 'LogCorruptionError', 'LOG_CORRUPT'],
      [new LogIoError('write', '/log', Object.assign(new Error('full'), { code: 'ENOSPC' })), 'LogIoError', 'ENOSPC'],
      [
        new PositionMismatchError(new Position(1n, 2n), new Position(3n, 4n)),
        'PositionMismatchError',
        'POSITION_MISMATCH',
      ],
    ];
    for (const [error, name, code] of errors) {
      expect(error).toBeInstanceOf(WasmliteError);
      expect(error.name).toBe(name);
      expect((error as WasmliteError).code).toBe(code);
    }
    // better-sqlite3's shape: callable without new, rawCode NaN when not given.
    const called = (SqliteError as unknown as (m: string, c: string) => SqliteError)('x', 'SQLITE_BUSY');
    expect(called).toBeInstanceOf(SqliteError);
    expect(called.rawCode).toBeNaN();
  });

  it('cross the engine worker boundary as the same class, code, message and statement index', () => {
    const full = new SqliteError('database or disk is full', 'SQLITE_FULL', 13, {
      cause: Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
    });
    const rebuilt = across(full) as SqliteError;
    expect(rebuilt).toBeInstanceOf(SqliteError);
    expect(rebuilt).toMatchObject({ name: 'SqliteError', code: 'SQLITE_FULL', rawCode: 13, message: full.message });
    expect(errorResponse(rebuilt)).toEqual({
      status: 507,
      body: { code: 'SQLITE_FULL', rawCode: 13, message: full.message, errno: 'ENOSPC' },
    });

    const forbidden = across(new ForbiddenActionError('PRAGMA foreign_keys', 'refused')) as ForbiddenActionError;
    expect(forbidden).toBeInstanceOf(ForbiddenActionError);
    expect(forbidden).toMatchObject({ action: 'PRAGMA foreign_keys', code: 'SQLITE_AUTH', message: 'refused' });
    expect(errorResponse(forbidden).status).toBe(403);

    const refused = markFailedStatement(new RequestError('LOG_COMPACTED', 'gone', { firstTxid: '9' }), 2);
    const request = across(refused) as RequestError;
    expect(request).toBeInstanceOf(RequestError);
    expect(request).toMatchObject({ code: 'LOG_COMPACTED', message: 'gone', details: { firstTxid: '9' } });
    expect(failedStatementIndex(request)).toBe(2);
    expect(errorResponse(request)).toEqual({
      status: 410,
      body: { code: 'LOG_COMPACTED', message: 'gone', firstTxid: '9' },
    });

    const locked = across(
      new SqliteError('database is locked', 'SQLITE_BUSY', 5, { cause: new OwnerLockError('/db', 7) }),
    );
    expect(locked.cause).toBeInstanceOf(OwnerLockError);
    expect(locked.cause).toMatchObject({ path: '/db', ownerPid: 7 });

    const mismatch = across(new PositionMismatchError(new Position(3n, 10n), new Position(5n, 11n)));
    expect(mismatch).toBeInstanceOf(PositionMismatchError);
    expect(mismatch.message).toBe(new PositionMismatchError(new Position(3n, 10n), new Position(5n, 11n)).message);

    expect(across(new TypeError('Too few parameter values were provided'))).toBeInstanceOf(TypeError);
    expect(across(new RangeError('out of range'))).toBeInstanceOf(RangeError);
    const io = across(new LogIoError('write', '/log', Object.assign(new Error('full'), { code: 'ENOSPC' })));
    expect(io).toMatchObject({ name: 'LogIoError', code: 'ENOSPC' });
    expect(io).toBeInstanceOf(WasmliteError);
  });
});
