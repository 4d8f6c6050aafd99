// Type-level tests: checked by `tsc -p tsconfig.json`, never executed.
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type {
  AppendFence,
  DocumentStore,
  EventStorage,
  LeaseStore,
  StorageAdmin,
  StreamLocks,
} from '@hindsight/core';
import pg from 'pg';
import { describe, expectTypeOf, it } from 'vitest';
import type { TransactionClientOf } from './postgres-client.js';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import type { PostgresTransaction } from './postgres-transaction.js';

describe('createPostgresStorage types', () => {
  it('hands hooks and transactions the driver handle of the client given', () => {
    expectTypeOf<TransactionClientOf<pg.Pool>>().toEqualTypeOf<pg.PoolClient>();
    expectTypeOf<TransactionClientOf<PGlite>>().toEqualTypeOf<Transaction>();

    const onPg = createPostgresStorage({ client: new pg.Pool() });
    expectTypeOf(onPg).toEqualTypeOf<PostgresStorage<pg.PoolClient>>();
    expectTypeOf(onPg).toExtend<EventStorage<PostgresTransaction<pg.PoolClient>>>();
    const onPglite = createPostgresStorage({ client: new PGlite() });
    expectTypeOf(onPglite).toEqualTypeOf<PostgresStorage<Transaction>>();
  });

  it('has the capabilities the port leaves optional, stream locks only over a pool', () => {
    expectTypeOf<PostgresStorage<pg.PoolClient | Transaction>['documents']>().toEqualTypeOf<
      DocumentStore<PostgresTransaction<pg.PoolClient | Transaction>>
    >();
    expectTypeOf<PostgresStorage<pg.PoolClient | Transaction>['leases']>().toEqualTypeOf<
      LeaseStore<PostgresTransaction<pg.PoolClient | Transaction>>
    >();
    expectTypeOf<PostgresStorage['admin']>().toEqualTypeOf<StorageAdmin>();
    expectTypeOf<PostgresStorage<pg.PoolClient | Transaction>['appendFence']>().toEqualTypeOf<
      AppendFence<PostgresTransaction<pg.PoolClient | Transaction>>
    >();
    expectTypeOf<PostgresStorage['streamLocks']>().toEqualTypeOf<StreamLocks | undefined>();
    expectTypeOf<PostgresStorage['readHorizon']['current']>().returns.toHaveProperty('safe');
  });

  it('refuses clients that are neither a pool nor PGlite', () => {
    // @ts-expect-error a connection string is not a client
    createPostgresStorage({ client: 'postgres://localhost/db' });
  });
});
