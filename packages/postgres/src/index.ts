/**
 * The PostgreSQL store over your `pg` pool or a PGlite instance, with versioned migrations.
 *
 * @module @hindsight/postgres
 */
export type { InFlightAppendWait, ReadHorizonState } from './internal/read-horizon.js';
export type { PgliteLike, PgPoolLike, PostgresClient, TransactionClientOf } from './postgres-client.js';
export {
  createPostgresStorage,
  type PostgresStorage,
  type PostgresStorageOptions,
} from './postgres-storage.js';
export type { PostgresQueryResult, PostgresTransaction } from './postgres-transaction.js';
export { type MigrateOptions, type MigrationResult, migrate } from './schema/migrate.js';
