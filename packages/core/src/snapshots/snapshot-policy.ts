/**
 * When and how an aggregate's state is snapshotted.
 *
 * @example
 * ```ts
 * const SnapshottedOrder = Order.withSnapshots({ every: 10, schemaVersion: 2 });
 * ```
 */
export interface SnapshotPolicy<State> {
  /** Snapshot whenever an append crosses a multiple of this many events. */
  readonly every: number;
  /**
   * The shape version of the state. Bump it when the state type changes: snapshots of another
   * shape are ignored and state is rebuilt from events. Default 1.
   */
  readonly schemaVersion?: number;
  /** Turns state into plain JSON (default: the state itself, which must then be plain JSON). */
  readonly encode?: (state: State) => unknown;
  /** The inverse of `encode`. */
  readonly decode?: (json: unknown) => State;
}

/** Whether moving a stream from `fromVersion` to `toVersion` crosses the policy's interval. */
export function crossesSnapshotInterval(every: number, fromVersion: number, toVersion: number): boolean {
  return Math.floor(toVersion / every) > Math.floor(fromVersion / every);
}
