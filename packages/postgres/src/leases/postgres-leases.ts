import type { LeaseStore } from '@hindsight/core';
import { sessionOf } from '../internal/driver.js';
import type { StorageContext } from '../internal/storage-context.js';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { acquireLease, assertLease, leaseStatements, readLease, releaseLease } from './leases.js';

/** The PostgreSQL storage's leases: rows of the `leases` table, by the database's clock. */
export function createPostgresLeases<Client>(
  context: StorageContext,
): LeaseStore<PostgresTransaction<Client>> {
  const { driver } = context;
  const statements = leaseStatements(context.quoted);
  return {
    acquire(name, owner, ttlMs) {
      context.ensureOpen();
      return acquireLease(driver, statements, name, owner, ttlMs);
    },
    release(name, owner) {
      context.ensureOpen();
      return releaseLease(driver, statements, name, owner);
    },
    assert: (name, owner, transaction) => assertLease(sessionOf(transaction), statements, name, owner),
    read(name) {
      context.ensureOpen();
      return readLease(driver, statements, name);
    },
  };
}
