import type { Engine } from './engine.ts';

const SEMICOLON = 0x3b;

/**
 * Splits an SQL script into its statements as SQLite's tokenizer sees them (`sqlite3_complete`:
 * semicolons inside strings, comments and trigger bodies do not split). Each statement keeps its
 * terminating semicolon; pieces that hold only whitespace or comments are dropped; a last
 * statement without a semicolon is kept. Nothing is compiled, so a statement may refer to tables
 * an earlier one creates.
 *
 * @example
 * splitStatements(engine, "CREATE TABLE t (x); INSERT INTO t VALUES (';');");
 * // ['CREATE TABLE t (x);', " INSERT INTO t VALUES (';');"]
 */
export function splitStatements(engine: Engine, sql: string): string[] {
  const bytes = Buffer.from(sql, 'utf8');
  const ptr = engine.allocCString(sql);
  const statements: string[] = [];
  try {
    let start = 0;
    for (let end = bytes.indexOf(SEMICOLON); end !== -1; end = bytes.indexOf(SEMICOLON, end + 1)) {
      // Cut the text just after this semicolon and ask whether it ends a statement.
      const saved = engine.u8[ptr + end + 1]!;
      engine.u8[ptr + end + 1] = 0;
      const complete = engine.x.sqlite3_complete(ptr + start) === 1;
      engine.u8[ptr + end + 1] = saved;
      if (!complete) continue;
      const piece = bytes.toString('utf8', start, end + 1);
      if (hasCode(piece)) statements.push(piece);
      start = end + 1;
    }
    const rest = bytes.toString('utf8', start);
    if (hasCode(rest)) statements.push(rest);
    return statements;
  } finally {
    engine.x.sqlite3_free(ptr);
  }
}

/** Whether `text` holds anything besides whitespace, comments and semicolons. */
function hasCode(text: string): boolean {
  return text.replace(/--[^\n]*(\n|$)|\/\*[\s\S]*?(\*\/|$)|[\s;]+/g, '') !== '';
}
