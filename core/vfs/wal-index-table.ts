import { WalIndex, type WalIndexConnection, type WalIndexHeap } from './wal-index.ts';

/**
 * The {@link WalIndex}es of the databases open in WAL mode in this thread, by canonical path,
 * so that every connection to a file shares one. An index is freed when its last connection
 * unmaps it.
 *
 * @example
 * const table = new WalIndexTable(engine);
 * const c = table.connect('/app.db');
 * table.disconnect(c);
 */
export class WalIndexTable {
  readonly #heap: WalIndexHeap;
  readonly #indexes = new Map<string, WalIndex>();

  constructor(heap: WalIndexHeap) {
    this.#heap = heap;
  }

  /** A new connection to the index of `path`, creating the index if needed. */
  connect(path: string): WalIndexConnection {
    let index = this.#indexes.get(path);
    if (index === undefined) {
      index = new WalIndex(path, this.#heap);
      this.#indexes.set(path, index);
    }
    return index.connect();
  }

  /** Ends a connection; the last one frees the index. */
  disconnect(connection: WalIndexConnection): void {
    const index = connection.index;
    if (index.disconnect(connection) && this.#indexes.get(index.path) === index) this.#indexes.delete(index.path);
  }
}
