/**
 * Who holds a consumer's lease and until when (see {@link LeaseStore.read}).
 *
 * @example
 * ```ts
 * const lease: StoredLease | undefined = await storage.leases!.read('projection:orders@1');
 * if (lease) console.log(`${lease.owner} until ${lease.expiresAt.toISOString()}`);
 * ```
 */
export interface StoredLease {
  readonly name: string;
  readonly owner: string;
  /** When the lease lapses unless renewed; by the storage's clock (the database's, where it has one). */
  readonly expiresAt: Date;
}

/**
 * Named, expiring, exclusive leases, so that of the consumers of one name across processes exactly
 * one is active. An optional capability of the port (`EventStorage.leases`): without it, consumers
 * run in every process that starts them.
 *
 * @example
 * ```ts
 * const leases = storage.leases;
 * if (leases && (await leases.acquire('projection:orders@1', 'worker-1', 10_000))) {
 *   await storage.transaction(async (tx) => {
 *     await leases.assert('projection:orders@1', 'worker-1', tx);
 *     await storage.saveCheckpoint('projection:orders@1', 42, tx);
 *   });
 *   await leases.release('projection:orders@1', 'worker-1');
 * }
 * ```
 */
export interface LeaseStore<Tx> {
  /**
   * Acquires the lease for `owner` when it is free or expired, renews it when `owner` holds it
   * already (either way for `ttlMs` from now); true when `owner` holds it afterwards. Never waits
   * for a live holder.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it (others may acquire it at once); otherwise a no-op. */
  release(name: string, owner: string): Promise<void>;
  /**
   * The fence, inside `transaction`: throws `LeaseLostError` (so the transaction rolls back) unless
   * `owner` holds the unexpired lease `name`; once it passed, no other owner can acquire the lease
   * until the transaction has ended, so a consumer that lost its lease can commit neither an
   * effect nor a checkpoint.
   */
  assert(name: string, owner: string, transaction: Tx): Promise<void>;
  /** The lease's holder; undefined when nobody ever held it or it was released. */
  read(name: string): Promise<StoredLease | undefined>;
}
