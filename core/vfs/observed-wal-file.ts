import type { Engine } from '../sqlite3/engine.ts';
import type { FileHandle, Filesystem } from './filesystem.ts';
import { OpenFile } from './open-file.ts';
import type { WalCommitTracker } from './wal-commit-tracker.ts';

/**
 * The `-wal` file of an observed database, as one connection has it open: an {@link OpenFile}
 * whose writes go through the database's {@link WalCommitTracker}. Only observed WAL files are of
 * this class, so the write path of every other file is untouched.
 *
 * @example
 * const file = new ObservedWalFile(engine, fs, '/app.db-wal', flags, handle, tracker);
 * file.write(pSrc, 24, 32n); // seen by the tracker, then written
 */
export class ObservedWalFile extends OpenFile {
  readonly #engine: Engine;
  readonly #tracker: WalCommitTracker;

  constructor(
    engine: Engine,
    filesystem: Filesystem,
    path: string,
    flags: number,
    handle: FileHandle,
    tracker: WalCommitTracker,
    options: { syncDirectory?: boolean } = {},
  ) {
    super(engine, filesystem, path, flags, handle, options);
    this.#engine = engine;
    this.#tracker = tracker;
  }

  override write(pSrc: number, n: number, offset: bigint): number {
    return this.#tracker.write(this.handle, this.#engine.u8, pSrc, n, Number(offset));
  }
}
