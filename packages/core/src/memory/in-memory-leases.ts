import { LeaseLostError } from '../errors/consumer-errors.js';
import type { Mutex } from '../internal/mutex.js';
import type { LeaseStore, StoredLease } from '../streams/event-storage.js';
import type { InMemoryTransaction } from './in-memory-transaction.js';

/**
 * The in-memory storage's leases. Acquiring and releasing take the storage's write lock, so a
 * transaction that passed the fence commits before any takeover. They run on the wall clock, not
 * the storage's injected one: a frozen test clock must not freeze them.
 */
export class InMemoryLeases implements LeaseStore<InMemoryTransaction> {
  readonly #leases = new Map<string, { readonly owner: string; readonly expiresAt: number }>();
  readonly #writeLock: Mutex;

  constructor(writeLock: Mutex) {
    this.#writeLock = writeLock;
  }

  acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#writeLock.run(async () => {
      const now = Date.now();
      const lease = this.#leases.get(name);
      if (lease !== undefined && lease.owner !== owner && lease.expiresAt > now) return false;
      this.#leases.set(name, { owner, expiresAt: now + ttlMs });
      return true;
    });
  }

  release(name: string, owner: string): Promise<void> {
    return this.#writeLock.run(async () => {
      if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
    });
  }

  async assert(name: string, owner: string, _transaction: InMemoryTransaction): Promise<void> {
    const lease = this.#leases.get(name);
    if (lease === undefined || lease.owner !== owner || lease.expiresAt <= Date.now()) {
      throw new LeaseLostError({ lease: name, owner });
    }
  }

  async read(name: string): Promise<StoredLease | undefined> {
    const lease = this.#leases.get(name);
    return lease === undefined
      ? undefined
      : { name, owner: lease.owner, expiresAt: new Date(lease.expiresAt) };
  }
}
