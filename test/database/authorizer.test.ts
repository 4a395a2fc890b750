import { describe, expect, it } from 'vitest';
import { open, SqliteError } from '../../core/index.ts';
import {
  SQLITE_ATTACH,
  SQLITE_DENY,
  SQLITE_IGNORE,
  SQLITE_OK,
  SQLITE_PRAGMA,
  SQLITE_READ,
} from '../../core/sqlite3/constants.ts';
import { useTempDir } from '../support/temp-dir.ts';
import { thrown } from './thrown.ts';

const tmp = useTempDir();

describe('Database.setAuthorizer', () => {
  it("is asked about each action a statement compiles to, with SQLite's arguments", async () => {
    const db = tmp.track(await open(tmp.file()));
    db.exec('CREATE TABLE t (x)');
    const seen: unknown[] = [];
    db.setAuthorizer((action, arg1, arg2, database) => {
      seen.push([action, arg1, arg2, database]);
      return SQLITE_OK;
    });
    db.prepare('PRAGMA "foreign_keys" = OFF');
    db.prepare('SELECT x FROM t');
    expect(seen).toContainEqual([SQLITE_PRAGMA, 'foreign_keys', 'OFF', null]);
    expect(seen).toContainEqual([SQLITE_READ, 't', 'x', 'main']);
  });

  it('fails the preparation with SQLITE_AUTH on a denial, reads NULL on an ignore, and nothing happens', async () => {
    const file = tmp.file();
    const db = tmp.track(await open(file));
    db.exec("CREATE TABLE t (x, secret); INSERT INTO t VALUES (1, 'hidden')");
    db.setAuthorizer((action, arg1, arg2) =>
      action === SQLITE_ATTACH ? SQLITE_DENY : action === SQLITE_READ && arg2 === 'secret' ? SQLITE_IGNORE : SQLITE_OK,
    );
    const error = thrown(() => db.prepare(`ATTACH '${file}-other' AS other`));
    expect(error).toBeInstanceOf(SqliteError);
    expect((error as SqliteError).code).toBe('SQLITE_AUTH');
    expect(db.prepare('SELECT x, secret FROM t').raw().get()).toEqual([1, null]);
    expect(db.prepare('SELECT count(*) FROM pragma_database_list').pluck().get()).toBe(1);
  });

  it('rethrows what the authorizer threw unchanged, from prepare and exec; the connection stays usable', async () => {
    const db = tmp.track(await open(tmp.file()));
    const refusal = new RangeError('no pragmas here');
    db.setAuthorizer((action) => {
      if (action === SQLITE_PRAGMA) throw refusal;
      return SQLITE_OK;
    });
    expect(thrown(() => db.prepare('PRAGMA cache_size = 1'))).toBe(refusal);
    expect(thrown(() => db.exec('SELECT 1; PRAGMA cache_size = 1'))).toBe(refusal);
    // A refusal in a second statement given to prepare is not this statement's error.
    expect(thrown(() => db.prepare('SELECT 1; PRAGMA cache_size = 1'))).toBeInstanceOf(RangeError);
    expect(thrown(() => db.prepare('SELECT * FROM missing'))).toMatchObject({ code: 'SQLITE_ERROR' });
    expect(db.prepare('SELECT 2').pluck().get()).toBe(2);
  });

  it('refuses an answer that is not OK, DENY or IGNORE, and null removes the authorizer', async () => {
    const db = tmp.track(await open(tmp.file()));
    db.setAuthorizer(() => 7);
    expect(thrown(() => db.prepare('SELECT 1'))).toBeInstanceOf(TypeError);
    db.setAuthorizer(null);
    expect(db.prepare('SELECT 1').pluck().get()).toBe(1);
    expect(thrown(() => db.setAuthorizer('no' as never))).toBeInstanceOf(TypeError);
  });
});
