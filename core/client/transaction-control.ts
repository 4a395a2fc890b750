import type { Database } from '../database/database.ts';
import type { Statement } from '../database/statement.ts';

/** What a statement does to the connection's transaction, if anything. */
export type TransactionControl = 'begin' | 'commit' | 'rollback';

const probes = new WeakMap<Database, Statement<unknown[]> | null>();

/**
 * Whether `stmt` (prepared on `db` from `sql`) begins, commits or rolls back the connection's
 * transaction, read from the program SQLite compiled for it (its `AutoCommit` instruction, through
 * the `bytecode` table-valued function), not from the SQL text: `;COMMIT`, `END TRANSACTION` or a
 * comment in front are all seen. Savepoints are not transaction control here (inside a
 * transaction they cannot end it). Only statements SQLite reports read-only and returning no rows
 * are probed (transaction control is both), so other statements cost nothing; the probe prepares
 * `sql` a second time. A build without the `bytecode` table answers `undefined`: then the
 * autocommit check after each step is the only guard.
 *
 * @example
 * transactionControl(db, db.prepare(';COMMIT'), ';COMMIT'); // 'commit'
 */
export function transactionControl(
  db: Database,
  stmt: Statement<unknown[]>,
  sql: string,
): TransactionControl | undefined {
  if (!stmt.readonly || stmt.reader) return undefined;
  let probe = probes.get(db);
  if (probe === undefined) {
    try {
      probe = db.prepare<unknown[]>("SELECT p1, p2 FROM bytecode(?) WHERE opcode = 'AutoCommit'").raw();
    } catch {
      probe = null;
    }
    probes.set(db, probe);
  }
  if (probe === null) return undefined;
  const found = probe.get(sql) as [number, number] | undefined;
  if (found === undefined) return undefined;
  // OP_AutoCommit: P1 is the autocommit flag it sets (0 = BEGIN), P2 is 1 for a rollback.
  const [setsAutocommit, rollsBack] = found;
  if (setsAutocommit === 0) return 'begin';
  return rollsBack === 1 ? 'rollback' : 'commit';
}
