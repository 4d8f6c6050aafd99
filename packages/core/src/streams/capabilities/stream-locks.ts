/**
 * Exclusive locks on stream ids across every process of the store: an optional capability of the
 * port (`EventStorage.streamLocks`). Writers of a hot stream take one around load → decide →
 * append (`execute(…, { lockStream: true })`), so they queue instead of conflicting and retrying;
 * a lock does not block plain appends, whose expected version is still checked. Without it, core
 * serializes such writers within the process only.
 *
 * @example
 * ```ts
 * const release = await storage.streamLocks!.lock('Counter-hot');
 * try {
 *   // load, decide, append
 * } finally {
 *   await release();
 * }
 * ```
 */
export interface StreamLocks {
  /** Waits for the lock on `streamId` and holds it until the returned function is called. */
  lock(streamId: string): Promise<() => Promise<void>>;
}
