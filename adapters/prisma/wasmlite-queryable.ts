import type { SqlQuery, SqlQueryable, SqlResultSet } from '@prisma/driver-adapter-utils';
import type { InStatement, ResultSet } from '../../core/index.ts';
import { columnTypesOf, toPrismaRow, toWasmliteArg, type TimestampFormat } from './conversion.ts';
import { toDriverAdapterError } from './errors.ts';

/** The part of wasmlite's `Client` and `Transaction` that a queryable runs statements on. */
export interface StatementTarget {
  execute(stmt: InStatement): Promise<ResultSet>;
}

/** The adapter name Prisma reports (in errors and logs). */
export const ADAPTER_NAME = 'wasmlite';

/**
 * Runs Prisma's queries on a wasmlite `Client` or `Transaction`: arguments converted to
 * wasmlite values, results to Prisma's column types and values, errors to Prisma's error kinds.
 * A failure is a `DriverAdapterError` (see {@link toDriverAdapterError}).
 *
 * @example
 * const queryable = new WasmliteQueryable(client, 'iso8601');
 * const { columnNames, columnTypes, rows } = await queryable.queryRaw({
 *   sql: 'SELECT 1 AS one',
 *   args: [],
 *   argTypes: [],
 * });
 */
export class WasmliteQueryable<Target extends StatementTarget = StatementTarget> implements SqlQueryable {
  readonly provider = 'sqlite';
  readonly adapterName = ADAPTER_NAME;
  protected readonly target: Target;
  protected readonly timestampFormat: TimestampFormat;

  constructor(target: Target, timestampFormat: TimestampFormat) {
    this.target = target;
    this.timestampFormat = timestampFormat;
  }

  /** Runs a query and returns its rows with Prisma column types and `lastInsertId`. */
  async queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    const rs = await this.run(query);
    const columnTypes = columnTypesOf(rs.columnTypes, rs.rows);
    const rows = rs.rows.map((row) => toPrismaRow(row, columnTypes));
    const result: SqlResultSet = { columnNames: rs.columns, columnTypes, rows };
    if (rs.lastInsertRowid !== undefined) result.lastInsertId = rs.lastInsertRowid.toString();
    return result;
  }

  /** Runs a statement and returns the number of rows it changed. */
  async executeRaw(query: SqlQuery): Promise<number> {
    return (await this.run(query)).rowsAffected;
  }

  protected async run(query: SqlQuery): Promise<ResultSet> {
    const { args, argTypes } = query;
    const converted = new Array(args.length);
    for (let i = 0; i < args.length; i++) converted[i] = toWasmliteArg(args[i], argTypes[i], this.timestampFormat);
    try {
      return await this.target.execute({ sql: query.sql, args: converted });
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }
}
