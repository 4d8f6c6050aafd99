import type { StoredEvent } from '../../events/event.js';
import type { GlobalPageQuery } from '../storage-records.js';

/**
 * The log as a transaction holding appends back sees it (see {@link AppendFence.transaction}):
 * final while the transaction lasts.
 *
 * @example
 * ```ts
 * await storage.appendFence!.transaction(async (tx, log) => {
 *   const head = await log.headPosition();
 *   const page = await log.readAll({ after: 0, upTo: head, limit: 100 });
 * });
 * ```
 */
export interface HeldLog {
  headPosition(): Promise<number>;
  readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]>;
}

/**
 * Transactions that hold every append back: an optional capability of the port
 * (`EventStorage.appendFence`) for stores whose appends commit concurrently (PostgreSQL).
 *
 * A projection rebuild switches versions in one, so no inline append applies an event to the
 * replaced version after the switch, and none is missed by the new one. Stores whose transactions
 * already exclude appends need not have it: core then uses `transaction` with the storage's own
 * reads (memory does; SQLite has it anyway, because on a single-connection database reads from
 * outside an open transaction wait for it).
 *
 * @example
 * ```ts
 * const run = <T>(work: (tx: Tx, log: HeldLog) => Promise<T>) =>
 *   storage.appendFence?.transaction(work) ?? storage.transaction((tx) => work(tx, storage));
 * ```
 */
export interface AppendFence<Tx> {
  /**
   * Like `EventStorage.transaction`, but first holds every append back (those in flight are waited
   * out, new ones wait until it ends), and `log` reads the log as final inside it.
   */
  transaction<T>(work: (transaction: Tx, log: HeldLog) => Promise<T>): Promise<T>;
}
