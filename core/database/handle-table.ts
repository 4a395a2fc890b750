/**
 * Small integers standing for JS objects where SQLite carries a `void*` for us (a function's user
 * data, a module's client data). Ids start at 1, so a zeroed pointer never names an object.
 *
 * @example
 * const handles = new HandleTable<Aggregate>();
 * const id = handles.add(aggregate); // passed to sqlite3_create_window_function as pApp
 * handles.get(x.sqlite3_user_data(ctx)); // the aggregate again, inside a callback
 * handles.delete(id); // from the xDestroy SQLite calls when it drops the function
 */
export class HandleTable<T> {
  readonly #items = new Map<number, T>();
  #next = 1;

  /** Stores `item` and returns its id. */
  add(item: T): number {
    const id = this.#next++;
    this.#items.set(id, item);
    return id;
  }

  /** The item stored under `id`, or undefined once deleted. */
  get(id: number): T | undefined {
    return this.#items.get(id);
  }

  /** Forgets `id`; idempotent. */
  delete(id: number): void {
    this.#items.delete(id);
  }

  /** How many items are stored (tests check that nothing leaks). */
  get size(): number {
    return this.#items.size;
  }
}
