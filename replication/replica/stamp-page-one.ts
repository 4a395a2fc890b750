import type { TxPage } from '../log/index.ts';

const COUNTER = 24;
const VALID_FOR = 92;
const VERSION = 96;
/** SQLITE_VERSION_NUMBER of the pinned engine, which SQLite writes at offset 96 of page 1. */
const SQLITE_VERSION_NUMBER = 3_054_001;

/**
 * The pages as SQLite's WAL writer will write them: page 1 stamped with its change counter at 24
 * and 92 and the engine's version number at 96 (pager.c, `pager_write_changecounter`). Returns the
 * record's counter (`undefined` without page 1) and the pages (the same array when stamping
 * changes nothing, which is always the case for a primary on the same engine).
 *
 * @example
 * const { counter, pages } = stampPageOne(record.pages);
 */
export function stampPageOne(pages: readonly TxPage[]): { counter: number | undefined; pages: readonly TxPage[] } {
  const first = pages[0];
  if (first === undefined || first.pgno !== 1) return { counter: undefined, pages };
  const view = new DataView(first.data.buffer, first.data.byteOffset, first.data.byteLength);
  const counter = view.getUint32(COUNTER);
  if (view.getUint32(VALID_FOR) === counter && view.getUint32(VERSION) === SQLITE_VERSION_NUMBER)
    return { counter, pages };
  const data = first.data.slice();
  const stamped = new DataView(data.buffer);
  stamped.setUint32(VALID_FOR, counter);
  stamped.setUint32(VERSION, SQLITE_VERSION_NUMBER);
  return { counter, pages: [{ pgno: 1, data }, ...pages.slice(1)] };
}
