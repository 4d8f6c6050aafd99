import type Database from 'better-sqlite3';
import type { SqliteTransaction } from '../sqlite-transaction.js';
import type { ReadQueries } from './read-queries.js';

/**
 * How the storage's capability objects reach its connection: through the storage's own rules for
 * reads (a second connection while a transaction is open) and writes (one write transaction at a
 * time, taking SQLite's lock without blocking the event loop).
 */
export interface SqliteAccess {
  readonly db: Database.Database;
  /** A read on its own, seeing committed data. */
  read<T>(query: (queries: ReadQueries) => T): Promise<T>;
  /** A read in `transaction` if given (it sees the transaction's own writes), else on its own. */
  readIn<T>(transaction: SqliteTransaction | undefined, query: (queries: ReadQueries) => T): Promise<T>;
  /** `work` in a write transaction of its own. */
  write<T>(work: (transaction: SqliteTransaction) => T | Promise<T>): Promise<T>;
  /** A write in `transaction` if given (it commits or rolls back with it), else on its own. */
  writeIn(transaction: SqliteTransaction | undefined, write: () => void): Promise<void>;
  /** Throws unless `transaction` is an open transaction of this storage. */
  checkTransaction(transaction: SqliteTransaction): void;
  /** A read on the write connection that waits for an open transaction to end first. */
  readLatest<T>(query: () => T): Promise<T>;
}
