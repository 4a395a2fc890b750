import type { Engine } from '../sqlite3/engine.ts';
import {
  SQLITE_CONSTRAINT,
  SQLITE_ERROR,
  SQLITE_INDEX_CONSTRAINT_EQ,
  SQLITE_INDEX_CONSTRAINT_LIMIT,
  SQLITE_INDEX_CONSTRAINT_OFFSET,
  SQLITE_NOMEM,
  SQLITE_OK,
  SQLITE_VTAB_DIRECTONLY,
} from '../sqlite3/constants.ts';
import type { Connection } from './connection.ts';
import { HandleTable } from './handle-table.ts';
import {
  checkTableDefinition,
  type CheckedTable,
  type TableDefinition,
  type TableFactory,
} from './table-definition.ts';
import { TableScan } from './table-scan.ts';
import { messageOf } from './user-code-error.ts';

/** One `Database.table()` registration: SQLite's client data of the module. */
interface TableModule {
  readonly connection: Connection;
  readonly name: string;
  /** The checked definition of an eponymous-only table, or the factory run by each CREATE VIRTUAL TABLE. */
  readonly source: CheckedTable | TableFactory;
  readonly defaultSafeIntegers: () => boolean;
}

/** A connected table (an `sqlite3_vtab`). */
interface ConnectedTable {
  readonly module: TableModule;
  readonly table: CheckedTable;
  readonly bigints: boolean;
}

/** A scan (an `sqlite3_vtab_cursor`) and the table it reads. */
interface OpenScan {
  readonly scan: TableScan;
  readonly vtab: number;
  readonly module: TableModule;
}

const modules = new HandleTable<TableModule>();
const tables = new Map<number, ConnectedTable>();
const scans = new Map<number, OpenScan>();

/** Field offsets of the C structs the callbacks read and write, taken from the build's struct descriptions. */
interface Layout {
  vtabSize: number;
  vtabErrMsg: number;
  cursorSize: number;
  info: Record<
    'nConstraint' | 'aConstraint' | 'aConstraintUsage' | 'idxNum' | 'estimatedCost' | 'estimatedRows',
    number
  >;
  constraint: Record<'size' | 'iColumn' | 'op' | 'usable', number>;
  usage: Record<'size' | 'argvIndex' | 'omit', number>;
}

/** The two `sqlite3_module` structs of an engine, whose methods serve every JS table. */
interface Modules {
  /** xCreate NULL: the table exists under the module's name, and CREATE VIRTUAL TABLE is refused. */
  eponymousOnly: number;
  /** xCreate distinct from xConnect: only CREATE VIRTUAL TABLE makes tables. */
  creatable: number;
  /** The client data's destructor. */
  destroy: number;
}
const modulesByEngine = new WeakMap<Engine, Modules>();

/**
 * `sqlite3_index_constraint` and `sqlite3_index_constraint_usage` are arrays inside
 * `sqlite3_index_info` that the build's struct descriptions leave out; their layout is fixed by
 * SQLite's public header and the wasm32 ABI (`int` 4 bytes, `unsigned char` 1, `int` aligned to 4).
 */
const INDEX_CONSTRAINT = { size: 12, iColumn: 0, op: 4, usable: 5 } as const;
const INDEX_CONSTRAINT_USAGE = { size: 8, argvIndex: 0, omit: 4 } as const;

function layoutOf(e: Engine): Layout {
  const { enums } = e;
  const vtab = enums.struct('sqlite3_vtab');
  const info = enums.struct('sqlite3_index_info').members;
  return {
    vtabSize: vtab.sizeof,
    vtabErrMsg: vtab.members.zErrMsg!.offset,
    cursorSize: enums.struct('sqlite3_vtab_cursor').sizeof,
    info: {
      nConstraint: info.nConstraint!.offset,
      aConstraint: info.aConstraint!.offset,
      aConstraintUsage: info.aConstraintUsage!.offset,
      idxNum: info.idxNum!.offset,
      estimatedCost: info.estimatedCost!.offset,
      estimatedRows: info.estimatedRows!.offset,
    },
    constraint: INDEX_CONSTRAINT,
    usage: INDEX_CONSTRAINT_USAGE,
  };
}

/** `sqlite3_malloc`ed, zeroed memory (SQLite expects the structs we hand it zeroed). */
function allocZeroed(e: Engine, size: number): number {
  const ptr = e.x.sqlite3_malloc(size);
  if (ptr !== 0) e.u8.fill(0, ptr, ptr + size);
  return ptr;
}

/**
 * Installs the module methods into the engine's function table once and builds the two module
 * structs. Every method catches what it calls: nothing throws into WASM. An exception of user
 * code (the factory, the generator) is kept on the connection as its pending error, and the
 * method returns `SQLITE_ERROR` with the message in `zErrMsg`, so the step or prepare that
 * called it rethrows the exception unchanged.
 */
function modulesFor(e: Engine): Modules {
  let built = modulesByEngine.get(e);
  if (built !== undefined) return built;
  const layout = layoutOf(e);
  const install = (fn: (...args: number[]) => number | void, signature: string) =>
    e.installFunction(fn as (...args: never[]) => unknown, signature);

  // A message SQLite takes over and frees; 0 (no message) if the heap is exhausted. Allocated
  // before any heap view is taken: allocating may grow the heap and detach older views.
  const errorText = (message: string): number => {
    try {
      return e.allocCString(message);
    } catch {
      return 0;
    }
  };
  const setVtabError = (vtab: number, message: string) => {
    const text = errorText(message);
    const slot = vtab + layout.vtabErrMsg;
    const old = e.dv.getUint32(slot, true);
    if (old !== 0) e.x.sqlite3_free(old);
    e.dv.setUint32(slot, text, true);
  };
  const failScan = (cursor: number, error: unknown): number => {
    const open = scans.get(cursor);
    if (open === undefined) return SQLITE_ERROR;
    open.module.connection.pendingError = error;
    setVtabError(open.vtab, messageOf(error));
    return SQLITE_ERROR;
  };

  const refuse = (pzErr: number, message: string): number => {
    const text = errorText(message);
    e.dv.setUint32(pzErr, text, true);
    return SQLITE_ERROR;
  };

  const connect = (db: number, aux: number, argc: number, argv: number, ppVtab: number, pzErr: number): number => {
    const module = modules.get(aux);
    if (module === undefined) return SQLITE_ERROR;
    try {
      const args: string[] = [];
      for (let i = 0; i < argc; i++) args.push(e.cstring(e.dv.getUint32(argv + 4 * i, true)) ?? '');
      const [moduleName = module.name, database = 'main', tableName = moduleName, ...moduleArguments] = args;
      let table: CheckedTable;
      if (typeof module.source === 'function') {
        const context = { module: moduleName, database, table: tableName };
        const definition: unknown = module.source.apply(context, moduleArguments);
        if (typeof definition !== 'object' || definition === null) {
          throw new TypeError(`Virtual table module "${moduleName}" did not return a table definition object`);
        }
        table = checkTableDefinition(definition, 'returned', moduleName);
      } else {
        table = module.source;
      }
      const sql = e.allocCString(table.declaration);
      let rc: number;
      try {
        rc = e.x.sqlite3_declare_vtab(db, sql);
      } finally {
        e.x.sqlite3_free(sql);
      }
      // SQLite's own refusals are reported as SQLite errors (a SqliteError for the caller).
      if (rc !== SQLITE_OK) {
        const reason = e.cstring(e.x.sqlite3_errmsg(db));
        return refuse(pzErr, `failed to declare virtual table "${tableName}": ${reason}`);
      }
      if (table.directOnly && e.x.sqlite3__wasm_vtab_config(db, SQLITE_VTAB_DIRECTONLY, 0) !== SQLITE_OK) {
        return refuse(pzErr, `failed to configure virtual table "${tableName}"`);
      }
      const vtab = allocZeroed(e, layout.vtabSize);
      if (vtab === 0) return SQLITE_NOMEM;
      tables.set(vtab, { module, table, bigints: table.safeIntegers ?? module.defaultSafeIntegers() });
      e.dv.setUint32(ppVtab, vtab, true);
      return SQLITE_OK;
    } catch (error) {
      module.connection.pendingError = error;
      return refuse(pzErr, messageOf(error));
    }
  };

  // Plans pass every parameter the query constrains with `=` to xFilter, in parameter order,
  // flagged in idxNum; a plan that would leave a constrained parameter out (its value is not
  // known yet at that point of a join) is refused with SQLITE_CONSTRAINT, so SQLite picks a join
  // order where it is known. SQLite does not check the = it passed again (omit): the generator
  // answers for it; a second = on the same parameter stays a check against the hidden column.
  const bestIndex = (vtab: number, info: number): number => {
    const connected = tables.get(vtab);
    if (connected === undefined) return SQLITE_ERROR;
    try {
      const dv = e.dv;
      const { parameters } = connected.table;
      const count = dv.getInt32(info + layout.info.nConstraint, true);
      const constraints = dv.getUint32(info + layout.info.aConstraint, true);
      const usages = dv.getUint32(info + layout.info.aConstraintUsage, true);
      const byParameter = new Array<number>(parameters.length).fill(-1);
      for (let i = 0; i < count; i++) {
        const at = constraints + i * layout.constraint.size;
        const op = e.u8[at + layout.constraint.op]!;
        if (op === SQLITE_INDEX_CONSTRAINT_LIMIT || op === SQLITE_INDEX_CONSTRAINT_OFFSET) continue;
        const column = dv.getInt32(at + layout.constraint.iColumn, true);
        if (column < 0 || column >= parameters.length) continue;
        if (op !== SQLITE_INDEX_CONSTRAINT_EQ) {
          setVtabError(
            vtab,
            `virtual table parameter "${parameters[column]}" can only be constrained by the '=' operator`,
          );
          return SQLITE_ERROR;
        }
        if (e.u8[at + layout.constraint.usable] === 0) return SQLITE_CONSTRAINT;
        if (byParameter[column] === -1) byParameter[column] = i;
      }
      let plan = 0;
      let argc = 0;
      for (let p = 0; p < parameters.length; p++) {
        const i = byParameter[p]!;
        if (i === -1) continue;
        plan |= 1 << p;
        const usage = usages + i * layout.usage.size;
        dv.setInt32(usage + layout.usage.argvIndex, ++argc, true);
        e.u8[usage + layout.usage.omit] = 1;
      }
      dv.setInt32(info + layout.info.idxNum, plan, true);
      // Each parameter given makes the scan much cheaper, so SQLite prefers plans that pass
      // them over plans that would run the generator inside a loop.
      const cost = 1_000_000_000 / (argc + 1);
      dv.setFloat64(info + layout.info.estimatedCost, cost, true);
      dv.setBigInt64(info + layout.info.estimatedRows, BigInt(Math.floor(cost)), true);
      return SQLITE_OK;
    } catch (error) {
      setVtabError(vtab, messageOf(error));
      return SQLITE_ERROR;
    }
  };

  const disconnect = (vtab: number): number => {
    tables.delete(vtab);
    e.x.sqlite3_free(vtab);
    return SQLITE_OK;
  };

  const openScan = (vtab: number, ppCursor: number): number => {
    const connected = tables.get(vtab);
    if (connected === undefined) return SQLITE_ERROR;
    const cursor = allocZeroed(e, layout.cursorSize);
    if (cursor === 0) return SQLITE_NOMEM;
    const scan = new TableScan(e, connected.module.name, connected.table, connected.bigints);
    scans.set(cursor, { scan, vtab, module: connected.module });
    e.dv.setUint32(ppCursor, cursor, true);
    return SQLITE_OK;
  };

  const closeScan = (cursor: number): number => {
    scans.get(cursor)?.scan.close();
    scans.delete(cursor);
    e.x.sqlite3_free(cursor);
    return SQLITE_OK;
  };

  const filter = (cursor: number, plan: number, _idxStr: number, argc: number, argv: number): number => {
    try {
      scans.get(cursor)!.scan.filter(plan, argc, argv);
      return SQLITE_OK;
    } catch (error) {
      return failScan(cursor, error);
    }
  };

  const next = (cursor: number): number => {
    try {
      scans.get(cursor)!.scan.next();
      return SQLITE_OK;
    } catch (error) {
      return failScan(cursor, error);
    }
  };

  const eof = (cursor: number): number => ((scans.get(cursor)?.scan.eof ?? true) ? 1 : 0);

  const column = (cursor: number, ctx: number, i: number): number => {
    try {
      scans.get(cursor)!.scan.column(ctx, i);
      return SQLITE_OK;
    } catch (error) {
      return failScan(cursor, error);
    }
  };

  const rowid = (cursor: number, pRowid: number): number => {
    e.dv.setBigInt64(pRowid, BigInt(scans.get(cursor)?.scan.rowid ?? 0), true);
    return SQLITE_OK;
  };

  const methods = {
    xConnect: install(connect, 'i(ppippp)'),
    xBestIndex: install(bestIndex, 'i(pp)'),
    xDisconnect: install(disconnect, 'i(p)'),
    xOpen: install(openScan, 'i(pp)'),
    xClose: install(closeScan, 'i(p)'),
    xFilter: install(filter, 'i(pipip)'),
    xNext: install(next, 'i(p)'),
    xEof: install(eof, 'i(p)'),
    xColumn: install(column, 'i(ppi)'),
    xRowid: install(rowid, 'i(pp)'),
  };
  // A distinct xCreate (same body): SQLite treats xCreate == xConnect as "eponymous too".
  const create = install(
    (db, aux, argc, argv, ppVtab, pzErr) => connect(db!, aux!, argc!, argv!, ppVtab!, pzErr!),
    'i(ppippp)',
  );
  const moduleLayout = e.enums.struct('sqlite3_module');
  const struct = (xCreate: number): number => {
    const ptr = allocZeroed(e, moduleLayout.sizeof);
    if (ptr === 0) throw new RangeError('out of memory for a virtual table module');
    const pointers: Record<string, number> = { ...methods, xDestroy: methods.xDisconnect, xCreate };
    for (const [name, value] of Object.entries(pointers))
      e.dv.setUint32(ptr + moduleLayout.members[name]!.offset, value, true);
    return ptr;
  };
  built = {
    eponymousOnly: struct(0),
    creatable: struct(create),
    destroy: install((aux: number) => modules.delete(aux), 'v(p)'),
  };
  modulesByEngine.set(e, built);
  return built;
}

/**
 * Registers the virtual table module `name` on the connection (see `Database.table()`): with a
 * definition object, an eponymous-only table of that name exists at once (`SELECT * FROM name`,
 * `name(arg, …)` as a table-valued function); with a factory, `CREATE VIRTUAL TABLE t USING
 * name(…)` runs the factory and makes table `t`. Definition mistakes are TypeErrors or
 * RangeErrors thrown before anything is registered (for a factory, when it returns); SQLite's
 * refusal is a `SqliteError`.
 *
 * @example
 * registerTable(connection, 'squares', {
 *   columns: ['n', 'square'],
 *   *rows() { for (let n = 1; n <= 3; n++) yield [n, n * n]; },
 * }, () => false);
 */
export function registerTable(
  connection: Connection,
  name: unknown,
  definition: unknown,
  defaultSafeIntegers: () => boolean,
): void {
  if (typeof name !== 'string') throw new TypeError('Expected first argument to be a string');
  if (name === '') throw new TypeError('Virtual table module name cannot be an empty string');
  let source: CheckedTable | TableFactory;
  if (typeof definition === 'object' && definition !== null) {
    source = checkTableDefinition(definition as TableDefinition, 'used', name);
  } else if (typeof definition === 'function') {
    source = definition as TableFactory;
  } else {
    throw new TypeError('Expected second argument to be a function or a table definition object');
  }
  const e = connection.engine;
  const db = connection.ptr;
  const built = modulesFor(e);
  const aux = modules.add({ connection, name, source, defaultSafeIntegers });
  const text = e.allocCString(name);
  let rc: number;
  try {
    const struct = typeof source === 'function' ? built.creatable : built.eponymousOnly;
    rc = e.x.sqlite3_create_module_v2(db, text, struct, aux, built.destroy);
  } finally {
    e.x.sqlite3_free(text);
  }
  if (rc !== SQLITE_OK) {
    modules.delete(aux); // SQLite has called the destructor already; this makes sure.
    throw connection.error(rc);
  }
}

/** @internal How many modules, connected tables and open scans exist (tests check none leak). */
export function virtualTableCounts(): { modules: number; tables: number; scans: number } {
  return { modules: modules.size, tables: tables.size, scans: scans.size };
}
