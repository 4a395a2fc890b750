/**
 * The body of an object to store: its bytes, or a stream of them with the total length known in
 * advance (a snapshot, which may be larger than memory).
 *
 * @example
 * const body: ObjectBody = { length: 8192, chunks: response.body };
 */
export type ObjectBody = Uint8Array | { readonly length: number; readonly chunks: AsyncIterable<Uint8Array> };

/**
 * Where an archive is kept: a flat namespace of immutable objects, named with `/`-separated
 * paths. The contract the archiver, restore and retention need, and all a backend implements:
 *
 * - `put` publishes an object only once it is complete: a reader never sees part of one, under
 *   its name or any other that `list` returns. A `put` that fails or is interrupted leaves
 *   nothing that `list` returns, and may simply be done again.
 * - `get` returns a whole object, or `undefined` if there is none by that name.
 * - `list` returns the names under a prefix, in any order.
 *
 * @example
 * await target.put('a/b', new Uint8Array([1]));
 * (await target.list('a/')).includes('a/b'); // true
 */
export interface BackupTarget {
  /** Where the archive is, for messages (`/mnt/backup`, `s3://bucket/prefix`). */
  readonly location: string;
  put(name: string, body: ObjectBody): Promise<void>;
  get(name: string): Promise<Uint8Array | undefined>;
  /** The object as a stream of chunks (for snapshots), or `undefined` if there is none. */
  read(name: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  list(prefix: string): Promise<string[]>;
  /** Deletes the object; deleting one that is not there is not an error. */
  delete(name: string): Promise<void>;
}
