/**
 * The unit of work inline handlers get from the in-memory store. Memory has no rollback of its
 * own, so a handler that changes an in-memory read model registers how to undo it.
 *
 * @example
 * ```ts
 * await storage.append(request, async (tx, events) => {
 *   totals.set('o-1', 10);
 *   tx.onRollback(() => totals.delete('o-1'));
 * });
 * ```
 */
export interface InMemoryTransaction {
  /** Called (newest first) if the transaction fails after this handler's change. */
  onRollback(undo: () => void): void;
}
