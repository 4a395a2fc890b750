/**
 * The C functions of the SQLite WebAssembly build that wasmlite calls directly. Pointers are
 * numbers (32-bit WASM); 64-bit integers are bigints. Only what is used is declared.
 */
export interface RawExports {
  /** Runs the C library's static constructors; once, right after instantiation. */
  __wasm_call_ctors(): void;
  /** A JSON description of the build's constants and struct layouts (see `WasmEnums`). */
  sqlite3__wasm_enum_json(): number;
  sqlite3_initialize(): number;
  sqlite3_libversion(): number;
  sqlite3_vfs_register(vfs: number, makeDefault: number): number;
  sqlite3_vfs_unregister(vfs: number): number;

  sqlite3_malloc(n: number): number;
  sqlite3_malloc64(n: bigint): number;
  sqlite3_free(ptr: number): void;
  sqlite3_open_v2(filename: number, ppDb: number, flags: number, vfs: number): number;
  sqlite3_close_v2(db: number): number;
  sqlite3_extended_result_codes(db: number, on: number): number;
  sqlite3_errmsg(db: number): number;
  sqlite3_errstr(rc: number): number;
  sqlite3_extended_errcode(db: number): number;
  sqlite3_error_offset(db: number): number;
  sqlite3_busy_timeout(db: number, ms: number): number;
  sqlite3_get_autocommit(db: number): number;
  sqlite3_db_readonly(db: number, name: number): number;
  sqlite3_changes(db: number): number;
  sqlite3_changes64(db: number): bigint;
  sqlite3_total_changes(db: number): number;
  sqlite3_last_insert_rowid(db: number): bigint;
  sqlite3_interrupt(db: number): void;
  sqlite3_progress_handler(db: number, ops: number, callback: number, arg: number): void;
  sqlite3_txn_state(db: number, schema: number): number;
  sqlite3_exec(db: number, sql: number, cb: number, arg: number, errmsg: number): number;
  sqlite3_complete(sql: number): number;

  sqlite3_prepare_v3(db: number, sql: number, nByte: number, flags: number, ppStmt: number, pzTail: number): number;
  sqlite3_finalize(stmt: number): number;
  sqlite3_reset(stmt: number): number;
  sqlite3_clear_bindings(stmt: number): number;
  sqlite3_step(stmt: number): number;
  sqlite3_stmt_readonly(stmt: number): number;
  sqlite3_stmt_isexplain(stmt: number): number;
  sqlite3_stmt_busy(stmt: number): number;
  sqlite3_stmt_status(stmt: number, op: number, reset: number): number;
  sqlite3_sql(stmt: number): number;
  sqlite3_expanded_sql(stmt: number): number;
  sqlite3_db_handle(stmt: number): number;

  sqlite3_bind_parameter_count(stmt: number): number;
  sqlite3_bind_parameter_name(stmt: number, i: number): number;
  sqlite3_bind_parameter_index(stmt: number, name: number): number;
  sqlite3_bind_null(stmt: number, i: number): number;
  sqlite3_bind_int(stmt: number, i: number, v: number): number;
  sqlite3_bind_int64(stmt: number, i: number, v: bigint): number;
  sqlite3_bind_double(stmt: number, i: number, v: number): number;
  sqlite3_bind_text(stmt: number, i: number, ptr: number, n: number, destructor: number): number;
  sqlite3_bind_blob(stmt: number, i: number, ptr: number, n: number, destructor: number): number;
  sqlite3_bind_zeroblob(stmt: number, i: number, n: number): number;

  sqlite3_column_count(stmt: number): number;
  sqlite3_data_count(stmt: number): number;
  sqlite3_column_name(stmt: number, i: number): number;
  sqlite3_column_decltype(stmt: number, i: number): number;
  sqlite3_column_database_name(stmt: number, i: number): number;
  sqlite3_column_table_name(stmt: number, i: number): number;
  sqlite3_column_origin_name(stmt: number, i: number): number;
  sqlite3_column_type(stmt: number, i: number): number;
  sqlite3_column_int(stmt: number, i: number): number;
  sqlite3_column_int64(stmt: number, i: number): bigint;
  sqlite3_column_double(stmt: number, i: number): number;
  sqlite3_column_text(stmt: number, i: number): number;
  sqlite3_column_blob(stmt: number, i: number): number;
  sqlite3_column_bytes(stmt: number, i: number): number;

  sqlite3_create_function_v2(
    db: number,
    name: number,
    nArg: number,
    flags: number,
    app: number,
    xFunc: number,
    xStep: number,
    xFinal: number,
    xDestroy: number,
  ): number;
  sqlite3_set_authorizer(db: number, xAuth: number, userData: number): number;
  sqlite3_value_type(v: number): number;
  sqlite3_value_int64(v: number): bigint;
  sqlite3_value_double(v: number): number;
  sqlite3_value_text(v: number): number;
  sqlite3_value_blob(v: number): number;
  sqlite3_value_bytes(v: number): number;
  sqlite3_result_null(ctx: number): void;
  sqlite3_result_int(ctx: number, v: number): void;
  sqlite3_result_int64(ctx: number, v: bigint): void;
  sqlite3_result_double(ctx: number, v: number): void;
  sqlite3_result_text(ctx: number, ptr: number, n: number, destructor: number): void;
  sqlite3_result_blob(ctx: number, ptr: number, n: number, destructor: number): void;
  sqlite3_result_error(ctx: number, msg: number, n: number): void;
  sqlite3_result_error_code(ctx: number, code: number): void;
  sqlite3_result_error_nomem(ctx: number): void;
  sqlite3_user_data(ctx: number): number;
  sqlite3_aggregate_context(ctx: number, nBytes: number): number;
  sqlite3_create_window_function(
    db: number,
    name: number,
    nArg: number,
    flags: number,
    app: number,
    xStep: number,
    xFinal: number,
    xValue: number,
    xInverse: number,
    xDestroy: number,
  ): number;

  sqlite3_create_module_v2(db: number, name: number, module: number, aux: number, xDestroy: number): number;
  sqlite3_declare_vtab(db: number, sql: number): number;
  /** `sqlite3_vtab_config(db, op, int)`: the C function is variadic, so the build exports this fixed-arity wrapper. */
  sqlite3__wasm_vtab_config(db: number, op: number, arg: number): number;

  sqlite3_serialize(db: number, schema: number, pSize: number, flags: number): number;
  sqlite3_deserialize(db: number, schema: number, data: number, size: bigint, bufSize: bigint, flags: number): number;
  sqlite3_backup_init(dest: number, destName: number, src: number, srcName: number): number;
  sqlite3_backup_step(backup: number, nPage: number): number;
  sqlite3_backup_finish(backup: number): number;
  sqlite3_backup_remaining(backup: number): number;
  sqlite3_backup_pagecount(backup: number): number;

  sqlite3_file_control(db: number, name: number, op: number, arg: number): number;
  sqlite3_vfs_find(name: number): number;
  sqlite3_db_filename(db: number, name: number): number;
}
