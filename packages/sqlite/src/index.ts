export { migrate } from './schema/migrate.js';
export {
  createSqliteStorage,
  defaultSqlitePath,
  type SqliteConnectionOptions,
  type SqliteStorage,
  type SqliteStorageOptions,
} from './sqlite-storage.js';
export type { SqliteTransaction } from './sqlite-transaction.js';
