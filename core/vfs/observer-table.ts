import type { CommitObserver } from './commit-observer.ts';
import { WalCommitTracker } from './wal-commit-tracker.ts';

/**
 * The {@link CommitObserver}s attached to database files, by canonical path, each behind the
 * {@link WalCommitTracker} that feeds it. Every VFS that can write a file must share the table
 * that observes it, as they share its locks: a connection through a VFS that does not know the
 * observer would commit unseen. {@link NodeFsVfs} shares one table per engine.
 *
 * @example
 * const table = new ObserverTable();
 * const tracker = table.add('/app.db', observer);
 * table.get('/app.db'); // tracker
 * table.remove(tracker);
 */
export class ObserverTable {
  readonly #trackers = new Map<string, WalCommitTracker>();

  /** The tracker of the database at `path`, if it is observed. */
  get(path: string): WalCommitTracker | undefined {
    return this.#trackers.get(path);
  }

  /** Attaches `observer` to the database at `path`; a TypeError if it already has one. */
  add(path: string, observer: CommitObserver): WalCommitTracker {
    if (this.#trackers.has(path)) throw new TypeError(`The database ${path} already has a commit observer`);
    const tracker = new WalCommitTracker(path, observer);
    this.#trackers.set(path, tracker);
    return tracker;
  }

  /** Detaches `tracker`'s observer; files still open keep writing through it, unobserved. */
  remove(tracker: WalCommitTracker): void {
    tracker.detach();
    if (this.#trackers.get(tracker.path) === tracker) this.#trackers.delete(tracker.path);
  }
}
