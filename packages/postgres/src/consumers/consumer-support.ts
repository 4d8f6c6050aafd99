import type { HeldLog, StoredLease } from '@hindsight/core';
import { type Driver, sessionOf } from '../internal/driver.js';
import { quoteIdentifier } from '../internal/identifiers.js';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { holdAppends, holdAppendsStatements } from './hold-appends.js';
import { acquireLease, assertLease, leaseStatements, readLease, releaseLease } from './leases.js';

/** What the storage offers consumers across processes: leases and transactions holding appends back. */
export class ConsumerSupport {
  readonly #driver: Driver;
  readonly #leases: ReturnType<typeof leaseStatements>;
  readonly #hold: ReturnType<typeof holdAppendsStatements>;
  readonly #lockKey: readonly [number, number];

  /** `lockKey`: the advisory lock appends hold shared from taking positions to commit. */
  constructor(driver: Driver, schema: string, lockKey: readonly [number, number]) {
    this.#driver = driver;
    this.#leases = leaseStatements(quoteIdentifier(schema));
    this.#hold = holdAppendsStatements(quoteIdentifier(schema));
    this.#lockKey = lockKey;
  }

  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return acquireLease(this.#driver, this.#leases, name, owner, ttlMs);
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return releaseLease(this.#driver, this.#leases, name, owner);
  }

  assertLease(name: string, owner: string, transaction: PostgresTransaction<unknown>): Promise<void> {
    return assertLease(sessionOf(transaction), this.#leases, name, owner);
  }

  readLease(name: string): Promise<StoredLease | undefined> {
    return readLease(this.#driver, this.#leases, name);
  }

  transactionHoldingAppends<T, Tx>(work: (transaction: Tx, log: HeldLog) => Promise<T>): Promise<T> {
    return this.#driver.transaction(async (session, transaction) =>
      work(transaction as Tx, await holdAppends(session, this.#hold, this.#lockKey)),
    );
  }
}
