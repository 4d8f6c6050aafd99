/**
 * The embedded default store: events, snapshots, checkpoints, documents and leases in one SQLite
 * file (better-sqlite3, WAL), no server.
 *
 * @module @hindsight/sqlite
 */
export { migrate } from './schema/migrate.js';
export {
  createSqliteStorage,
  defaultSqlitePath,
  type SqliteConnectionOptions,
  type SqliteStorage,
  type SqliteStorageOptions,
} from './sqlite-storage.js';
export type { SqliteTransaction } from './sqlite-transaction.js';
