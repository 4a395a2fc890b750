import { SqliteError, type Database } from '../../../core/index.ts';
import { seededRandom } from '../../support/seeded-random.ts';

const VALUE_SIZES = [0, 8, 100, 700, 3000, 5000, 12000, 40000];
/** Up to `?2` rows from a point `?1` (0..1) of the way through the ids: chosen by the seed, not by SQLite's random(). */
const SOME_ROWS = '(SELECT id FROM kv WHERE id >= (SELECT coalesce(max(id), 0) * ?1 FROM kv) ORDER BY id LIMIT ?2)';

/**
 * A random mix of everything that writes pages: row changes of every size (values larger than a
 * page go to overflow pages), transactions committed, rolled back and spilled (tiny cache),
 * savepoints rolled back, failing statements inside transactions (statement journals), schema
 * changes, VACUUM, incremental vacuum, every kind of checkpoint (TRUNCATE restarts the WAL), and
 * a second connection writing and reading. `step()` runs one operation and says which.
 */
export class Workload {
  readonly #next: () => number;
  readonly #db: Database;
  readonly #other: Database;
  #tables = 0;
  #columns = 0;
  #indexes = 0;

  constructor(seed: number, db: Database, other: Database) {
    this.#next = seededRandom(seed);
    this.#db = db;
    this.#other = other;
  }

  /** Creates the tables the workload writes (run before capture starts, or as the first step). */
  static schema(db: Database, incrementalVacuum: boolean): void {
    if (incrementalVacuum) db.exec('PRAGMA auto_vacuum = INCREMENTAL; VACUUM');
    db.exec('CREATE TABLE kv (id INTEGER PRIMARY KEY, k TEXT, v BLOB); CREATE TABLE uniq (u TEXT UNIQUE)');
  }

  step(): string {
    const r = this.#next();
    const db = this.#next() < 0.15 ? this.#other : this.#db;
    if (r < 0.25) return this.#rows(db, 1 + this.#int(3));
    if (r < 0.35) return this.#transaction(db, 'COMMIT');
    if (r < 0.42) return this.#transaction(db, 'ROLLBACK');
    if (r < 0.5) return this.#savepoint(db);
    if (r < 0.56) return this.#spill(db);
    if (r < 0.6) return this.#failingStatement(db);
    if (r < 0.7) return this.#schema(db);
    if (r < 0.74) return this.#run(db, 'VACUUM');
    if (r < 0.8) return this.#run(db, `PRAGMA incremental_vacuum(${1 + this.#int(20)})`);
    if (r < 0.88) return this.#checkpoint(db);
    if (r < 0.94) return this.#read(db);
    return this.#run(db, `DELETE FROM kv WHERE id % ${2 + this.#int(5)} = ${this.#int(2)}`);
  }

  #int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  #value(): Uint8Array {
    const size = VALUE_SIZES[this.#int(VALUE_SIZES.length)]!;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4) bytes[i] = this.#int(256);
    return bytes;
  }

  #run(db: Database, sql: string): string {
    db.exec(sql);
    return sql;
  }

  /** `n` random inserts, updates and deletes. */
  #rows(db: Database, n: number): string {
    const done: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.#next();
      if (r < 0.5) {
        db.prepare('INSERT INTO kv (k, v) VALUES (?, ?)').run(`key ${this.#int(1000)}`, this.#value());
        done.push('insert');
      } else if (r < 0.8) {
        db.prepare(`UPDATE kv SET v = ?3 WHERE id IN ${SOME_ROWS}`).run(this.#next(), 1 + this.#int(3), this.#value());
        done.push('update');
      } else {
        db.prepare(`DELETE FROM kv WHERE id IN ${SOME_ROWS}`).run(this.#next(), 1 + this.#int(4));
        done.push('delete');
      }
    }
    return done.join(' ');
  }

  #transaction(db: Database, end: 'COMMIT' | 'ROLLBACK'): string {
    db.exec('BEGIN');
    const body = this.#rows(db, 2 + this.#int(6));
    db.exec(end);
    return `BEGIN ${body} ${end}`;
  }

  #savepoint(db: Database): string {
    db.exec('BEGIN');
    const before = this.#rows(db, 1 + this.#int(3));
    db.exec('SAVEPOINT s');
    const undone = this.#rows(db, 1 + this.#int(5));
    db.exec('ROLLBACK TO s');
    const after = this.#next() < 0.5 ? this.#rows(db, 1 + this.#int(3)) : '';
    const end = this.#next() < 0.8 ? 'COMMIT' : 'ROLLBACK';
    db.exec(end);
    return `BEGIN ${before} SAVEPOINT ${undone} ROLLBACK TO ${after} ${end}`;
  }

  /** A transaction bigger than a two-page cache: SQLite spills pages into the WAL before the end. */
  #spill(db: Database): string {
    db.exec('PRAGMA cache_size = 2');
    try {
      const end = this.#next() < 0.7 ? 'COMMIT' : 'ROLLBACK';
      db.exec('BEGIN');
      const body = this.#rows(db, 8 + this.#int(20));
      if (this.#next() < 0.5) {
        db.exec('SAVEPOINT s');
        this.#rows(db, 4 + this.#int(10));
        db.exec('ROLLBACK TO s');
      }
      db.exec(end);
      return `spill: BEGIN ${body} ${end}`;
    } finally {
      db.exec('PRAGMA cache_size = -2000');
    }
  }

  /** A statement that fails half-way inside a transaction: its statement journal undoes it. */
  #failingStatement(db: Database): string {
    db.exec('BEGIN');
    const u = `u${this.#int(1_000_000)}`;
    db.prepare('INSERT OR IGNORE INTO uniq VALUES (?)').run(u);
    try {
      db.prepare('INSERT INTO uniq VALUES (?), (?)').run(`${u}-new`, u);
    } catch (error) {
      if (!(error instanceof SqliteError) || error.code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
    }
    db.exec('COMMIT');
    return 'failing statement in a transaction';
  }

  #schema(db: Database): string {
    const r = this.#next();
    if (r < 0.3) {
      const name = `extra${++this.#tables}`;
      return this.#run(db, `CREATE TABLE ${name} (a INTEGER, b TEXT); INSERT INTO ${name} SELECT id, k FROM kv`);
    }
    if (r < 0.5) {
      const names = db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'extra%'")
        .pluck<string>()
        .all();
      if (names.length > 0) return this.#run(db, `DROP TABLE ${names[this.#int(names.length)]!}`);
    }
    if (r < 0.7)
      return this.#run(db, `ALTER TABLE kv ADD COLUMN c${++this.#columns} INTEGER DEFAULT ${this.#int(100)}`);
    if (r < 0.85) return this.#run(db, `CREATE INDEX i${++this.#indexes} ON kv (k, id)`);
    const indexes = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'i%'")
      .pluck<string>()
      .all();
    return indexes.length > 0
      ? this.#run(db, `DROP INDEX ${indexes[this.#int(indexes.length)]!}`)
      : this.#run(db, 'ANALYZE');
  }

  #checkpoint(db: Database): string {
    const mode = ['PASSIVE', 'FULL', 'RESTART', 'TRUNCATE'][this.#int(4)]!;
    db.pragma(`wal_checkpoint(${mode})`);
    return `checkpoint ${mode}`;
  }

  #read(db: Database): string {
    db.exec('BEGIN');
    db.prepare('SELECT count(*), sum(length(v)) FROM kv').get();
    db.exec('COMMIT');
    return 'read transaction';
  }
}
