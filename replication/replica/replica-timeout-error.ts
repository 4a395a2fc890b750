import { WasmliteError } from '../../core/util/wasmlite-error.ts';
import type { Position } from '../log/index.ts';

/**
 * A replica did not reach a position in time: `waitFor(target, ms)` gave up at `reached`.
 *
 * @example
 * try { await follower.waitFor(bookmark, 500); } catch (e) { if (e instanceof ReplicaTimeoutError) … }
 */
export class ReplicaTimeoutError extends WasmliteError {
  readonly target: Position;
  readonly reached: Position;
  readonly timeoutMs: number;

  constructor(target: Position, reached: Position, timeoutMs: number) {
    super(`replica timeout: waited ${timeoutMs} ms for ${target}, at ${reached}`, 'REPLICA_TIMEOUT');
    this.target = target;
    this.reached = reached;
    this.timeoutMs = timeoutMs;
  }

  override get name(): string {
    return 'ReplicaTimeoutError';
  }
}
