export { migrate } from './schema/migrate.js';
export {
  createSqliteStorage,
  defaultSqlitePath,
  type SqliteConnectionOptions,
  type SqliteStorage,
  type SqliteStorageOptions,
  type SqliteTransaction,
} from './sqlite-storage.js';
