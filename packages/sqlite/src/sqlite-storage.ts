import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type AppendFence,
  type AppendRequest,
  type AppendResult,
  type DocumentStore,
  EventLoopYielder,
  type EventStorage,
  type GlobalPageQuery,
  HindsightError,
  InvalidArgumentError,
  type LeaseStore,
  type StorageAdmin,
  type StoredEvent,
  type StoredSnapshot,
  type StreamInfo,
  type StreamLifecycle,
  type StreamPageQuery,
  type TransactionHook,
} from '@hindsight/core';
import Database from 'better-sqlite3';
import { createSqliteAdmin } from './admin/sqlite-admin.js';
import { type DeleteCheckpoint, prepareDeleteCheckpoint } from './checkpoints/delete-checkpoint.js';
import { prepareSaveCheckpoint, type SaveCheckpoint } from './checkpoints/save-checkpoint.js';
import { createSqliteDocuments } from './documents/sqlite-documents.js';
import { Mutex } from './internal/mutex.js';
import { prepareReadQueries, type ReadQueries } from './internal/read-queries.js';
import type { SqliteAccess } from './internal/sqlite-access.js';
import { isBusy, translateError } from './internal/sqlite-errors.js';
import { createSqliteLeases } from './leases/leases.js';
import { migrate } from './schema/migrate.js';
import { type DeleteSnapshot, prepareDeleteSnapshot } from './snapshots/delete-snapshot.js';
import { prepareSaveSnapshot, type SaveSnapshot } from './snapshots/save-snapshot.js';
import type { SqliteTransaction } from './sqlite-transaction.js';
import { type AppendEvents, prepareAppendEvents } from './streams/append-events.js';
import { createSqliteAppendFence } from './streams/sqlite-append-fence.js';
import { createSqliteLifecycle } from './streams/sqlite-lifecycle.js';

/**
 * Options shared by both ways of opening a {@link createSqliteStorage | SQLite storage}.
 *
 * @example
 * ```ts
 * const storage = createSqliteStorage({ path: 'events.db', synchronous: 'normal', busyTimeoutMs: 10_000 });
 * ```
 */
export interface SqliteConnectionOptions {
  /**
   * `'full'` (default): an acknowledged append survives a power loss. `'normal'`: faster; a power
   * loss may drop the last acknowledged transactions, but never corrupts the file. A crash of the
   * process alone loses nothing in either mode.
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * How long a write waits for another connection (usually another process) to release the
   * write lock before failing with a retryable `STORAGE_UNAVAILABLE`. Default 5000.
   */
  readonly busyTimeoutMs?: number;
  /**
   * How often, while `onAppended` listeners exist, to check whether another connection
   * committed (`PRAGMA data_version`: no disk read). Default 75.
   */
  readonly pollIntervalMs?: number;
  /** The clock stamping events; inject one to test time travel. */
  readonly clock?: () => Date;
}

/**
 * Options of {@link createSqliteStorage}: a file `path` that the storage opens and closes, or an
 * open better-sqlite3 `database` that stays yours to close.
 *
 * @example
 * ```ts
 * createSqliteStorage({ path: 'data/events.db' });
 * createSqliteStorage({ database: new Database('app.db') });
 * ```
 */
export type SqliteStorageOptions = SqliteConnectionOptions &
  (
    | {
        /** The database file, created with its folder. Default `.hindsight/events.db`. */
        readonly path?: string;
        readonly database?: never;
      }
    | {
        /** An open connection. Its pragmas are set as for a file the storage opens. */
        readonly database: Database.Database;
        readonly path?: never;
      }
  );

/**
 * An `EventStorage` on one SQLite file, with the port's documents, leases, admin listings and
 * append fence.
 *
 * @example
 * ```ts
 * const storage: SqliteStorage = createSqliteStorage();
 * storage.db.exec('CREATE TABLE IF NOT EXISTS order_totals (id TEXT PRIMARY KEY, total REAL)');
 * ```
 */
export interface SqliteStorage extends EventStorage<SqliteTransaction> {
  /** The write connection, e.g. to create read-model tables or query them. */
  readonly db: Database.Database;
  readonly documents: DocumentStore<SqliteTransaction>;
  /**
   * Consumer leases, shared by every process on the file.
   *
   * @example
   * ```ts
   * if (await storage.leases.acquire('projection:orders@1', 'worker-1', 10_000)) console.log('owner');
   * ```
   */
  readonly leases: LeaseStore<SqliteTransaction>;
  readonly admin: StorageAdmin;
  readonly appendFence: AppendFence<SqliteTransaction>;
  readonly lifecycle: StreamLifecycle<SqliteTransaction>;
}

/**
 * Where the storage keeps events when given no `path`, relative to the working directory.
 *
 * @example
 * ```ts
 * console.log(`events are in ${resolve(defaultSqlitePath)}`);
 * ```
 */
export const defaultSqlitePath = '.hindsight/events.db';

const defaultBusyTimeoutMs = 5000;
const defaultPollIntervalMs = 75;
// Retry delays while another connection holds the write lock, close to SQLite's own busy handler.
const lockRetryDelaysMs = [1, 2, 5, 10, 15, 20, 25, 50, 100];

/**
 * Opens the embedded, persistent store: one SQLite file in WAL mode, no server. Creates the file
 * and its folder if needed and migrates the schema on open. Several processes may share the file;
 * writes take turns on SQLite's single write lock, so global positions commit in order and a
 * reader never sees a gap fill in behind it.
 *
 * @example
 * ```ts
 * import { createEventStore } from '@hindsight/core';
 * import { createSqliteStorage } from '@hindsight/sqlite';
 *
 * const store = createEventStore({
 *   storage: createSqliteStorage({ path: 'data/events.db' }),
 *   events: [Order],
 * });
 * ```
 */
export function createSqliteStorage(options: SqliteStorageOptions = {}): SqliteStorage {
  const synchronous = options.synchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') {
    throw new InvalidArgumentError({
      argument: 'synchronous',
      value: synchronous,
      problem: "must be 'full' or 'normal'",
    });
  }
  const busyTimeoutMs = wholeNumber('busyTimeoutMs', options.busyTimeoutMs ?? defaultBusyTimeoutMs, 0);
  const pollIntervalMs = wholeNumber('pollIntervalMs', options.pollIntervalMs ?? defaultPollIntervalMs, 1);
  const ownsDatabase = options.database === undefined;
  const db = options.database ?? openFile(options.path ?? defaultSqlitePath, busyTimeoutMs);
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    // Deleted rows (a forgotten subject's key and snapshots) are overwritten with zeros, not left
    // readable in free pages of the file.
    db.pragma('secure_delete = ON');
    migrate(db);
    return new SqliteEventStorage({
      db,
      ownsDatabase,
      busyTimeoutMs,
      pollIntervalMs,
      clock: options.clock ?? (() => new Date()),
    });
  } catch (error) {
    if (ownsDatabase) db.close();
    throw translateError(error, busyTimeoutMs);
  }
}

function openFile(path: string, busyTimeoutMs: number): Database.Database {
  if (path !== '' && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return new Database(path, { timeout: busyTimeoutMs });
}

function wholeNumber(argument: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError({ argument, value, problem: `must be a whole number ≥ ${min}` });
  }
  return value;
}

class OpenTransaction implements SqliteTransaction {
  readonly db: Database.Database;
  open = true;

  constructor(db: Database.Database) {
    this.db = db;
  }
}

interface SqliteEventStorageConfig {
  readonly db: Database.Database;
  readonly ownsDatabase: boolean;
  readonly busyTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly clock: () => Date;
}

class SqliteEventStorage implements SqliteStorage {
  readonly kind = 'sqlite';
  readonly partitionedReads = true;
  readonly db: Database.Database;
  readonly #config: SqliteEventStorageConfig;
  // One connection has one transaction: appends, transactions and writes take turns, so nothing
  // else runs on the connection while a transaction hook awaits.
  readonly #writeLock = new Mutex();
  readonly #yielder = new EventLoopYielder();
  readonly #queries: ReadQueries;
  readonly #appendEvents: AppendEvents;
  readonly #saveSnapshot: SaveSnapshot;
  readonly #deleteSnapshot: DeleteSnapshot;
  readonly #saveCheckpoint: SaveCheckpoint;
  readonly documents: DocumentStore<SqliteTransaction>;
  readonly leases: LeaseStore<SqliteTransaction>;
  readonly admin: StorageAdmin;
  readonly appendFence: AppendFence<SqliteTransaction>;
  readonly lifecycle: StreamLifecycle<SqliteTransaction>;
  readonly #deleteCheckpoint: DeleteCheckpoint;
  readonly #begin: Database.Statement;
  readonly #commit: Database.Statement;
  readonly #rollback: Database.Statement;
  readonly #dataVersion: Database.Statement<[], number>;
  /** A second, read-only connection for reads that arrive while a write transaction is open. */
  #reader: { readonly db: Database.Database; readonly queries: ReadQueries } | undefined;
  readonly #listeners = new Set<(head: number) => void>();
  #poll: NodeJS.Timeout | undefined;
  #seenDataVersion = 0;
  #notifiedHead = 0;
  #closed = false;

  constructor(config: SqliteEventStorageConfig) {
    const { db } = config;
    this.db = db;
    this.#config = config;
    this.#queries = prepareReadQueries(db);
    this.#appendEvents = prepareAppendEvents(db);
    this.#saveSnapshot = prepareSaveSnapshot(db);
    this.#deleteSnapshot = prepareDeleteSnapshot(db);
    this.#saveCheckpoint = prepareSaveCheckpoint(db);
    this.#deleteCheckpoint = prepareDeleteCheckpoint(db);
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck().safeIntegers(false);
    const access: SqliteAccess = {
      db,
      read: (query) => this.#read(query),
      readIn: (transaction, query) => this.#readIn(transaction, query),
      write: (work) => this.#write(work),
      writeIn: (transaction, write) => this.#writeIn(transaction, write),
      checkTransaction: (transaction) => this.#checkTransaction(transaction),
      readLatest: async (query) => {
        this.#ensureOpen();
        return db.inTransaction ? this.#writeLock.run(async () => query()) : query();
      },
    };
    this.documents = createSqliteDocuments(access);
    this.leases = createSqliteLeases(access);
    this.admin = createSqliteAdmin(access);
    this.appendFence = createSqliteAppendFence(access);
    this.lifecycle = createSqliteLifecycle(access, {
      clock: config.clock,
      notify: (head) => this.#notify(head),
    });
  }

  async append(request: AppendRequest, hook?: TransactionHook<SqliteTransaction>): Promise<AppendResult> {
    try {
      return await this.#appendNow(request, hook);
    } finally {
      await this.#yielder.pause();
    }
  }

  #appendNow(request: AppendRequest, hook?: TransactionHook<SqliteTransaction>): Promise<AppendResult> {
    return this.#write(
      (transaction) => {
        const result = this.#appendEvents(request, this.#config.clock().getTime());
        if (hook === undefined || result.alreadyStored) return result;
        return Promise.resolve(hook(transaction, result.events)).then(() => result);
      },
      (result) => {
        if (!result.alreadyStored) this.#notify(result.position);
      },
    );
  }

  readStream(streamId: string, query: StreamPageQuery): Promise<readonly StoredEvent[]> {
    return this.#read((queries) => queries.readStream(streamId, query));
  }

  readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]> {
    return this.#read((queries) => queries.readAll(query));
  }

  streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    return this.#read((queries) => queries.streamInfo(streamId));
  }

  headPosition(): Promise<number> {
    return this.#read((queries) => queries.headPosition());
  }

  loadSnapshot(streamId: string): Promise<StoredSnapshot | undefined> {
    return this.#read((queries) => queries.loadSnapshot(streamId));
  }

  saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    return this.#write(() => this.#saveSnapshot(snapshot));
  }

  deleteSnapshot(streamId: string): Promise<void> {
    return this.#write(() => this.#deleteSnapshot(streamId));
  }

  loadCheckpoint(consumerId: string): Promise<number | undefined> {
    return this.#read((queries) => queries.loadCheckpoint(consumerId));
  }

  saveCheckpoint(consumerId: string, position: number, transaction?: SqliteTransaction): Promise<void> {
    return this.#writeIn(transaction, () => this.#saveCheckpoint(consumerId, position, Date.now()));
  }

  deleteCheckpoint(consumerId: string, transaction?: SqliteTransaction): Promise<void> {
    return this.#writeIn(transaction, () => this.#deleteCheckpoint(consumerId));
  }

  transaction<T>(work: (transaction: SqliteTransaction) => Promise<T>): Promise<T> {
    return this.#write(work);
  }

  onAppended(listener: (head: number) => void): () => void {
    this.#ensureOpen();
    this.#listeners.add(listener);
    this.#startPolling();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stopPolling();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#stopPolling();
    // Calls admitted before close finish first; later ones fail with STORE_CLOSED.
    await this.#writeLock.run(async () => undefined);
    this.#reader?.db.close();
    if (this.#config.ownsDatabase) this.db.close();
  }

  /**
   * Runs `work` in a write transaction, holding the in-process lock and SQLite's write lock.
   * Synchronous work commits without yielding, so reads never meet the transaction half done.
   */
  #write<T>(
    work: (transaction: OpenTransaction) => T | Promise<T>,
    committed?: (result: T) => void,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#writeLock.run(async () => {
      if (!this.#tryBegin()) await this.#beginWhenFree();
      const transaction = new OpenTransaction(this.db);
      try {
        const pending = work(transaction);
        const result = pending instanceof Promise ? await pending : pending;
        this.#commit.run();
        committed?.(result);
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.#rollback.run();
        throw translateError(error, this.#config.busyTimeoutMs);
      } finally {
        transaction.open = false;
      }
    });
  }

  /** A write in `transaction` if given (it commits or rolls back with it), else on its own. */
  async #writeIn(transaction: SqliteTransaction | undefined, write: () => void): Promise<void> {
    if (transaction === undefined) return this.#write(write);
    this.#checkTransaction(transaction);
    write();
  }

  /** A read in `transaction` if given (it sees the transaction's own writes), else on its own. */
  async #readIn<T>(
    transaction: SqliteTransaction | undefined,
    query: (queries: ReadQueries) => T,
  ): Promise<T> {
    if (transaction === undefined) return this.#read(query);
    this.#checkTransaction(transaction);
    return query(this.#queries);
  }

  #checkTransaction(transaction: SqliteTransaction): void {
    if (!(transaction instanceof OpenTransaction) || transaction.db !== this.db || !transaction.open) {
      throw new InvalidArgumentError({
        argument: 'transaction',
        value: transaction,
        problem: 'is not an open transaction of this storage',
      });
    }
  }

  /**
   * Takes SQLite's write lock if it is free. With the busy timeout off for this one statement,
   * waiting for another process happens in {@link #beginWhenFree} without blocking the event loop
   * (better-sqlite3's own busy wait would block it, and with it any transaction hook of a second
   * connection in this process that holds the lock).
   */
  #tryBegin(): boolean {
    // exec, not a prepared statement: a prepared busy_timeout pragma takes effect when prepared,
    // not reliably each time it runs.
    this.db.exec('PRAGMA busy_timeout = 0');
    try {
      this.#begin.run();
      return true;
    } catch (error) {
      if (isBusy(error)) return false;
      throw error;
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${this.#config.busyTimeoutMs}`);
    }
  }

  async #beginWhenFree(): Promise<void> {
    const deadline = Date.now() + this.#config.busyTimeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new HindsightError(
          'STORAGE_UNAVAILABLE',
          `The SQLite database stayed locked by another connection for more than ${this.#config.busyTimeoutMs} ms`,
          { retryable: true },
        );
      }
      const base = lockRetryDelaysMs[Math.min(attempt, lockRetryDelaysMs.length - 1)] ?? 100;
      // Jitter keeps processes that collided once from colliding on every retry.
      await delay(Math.min(remaining, base * (0.5 + Math.random())));
      if (this.#tryBegin()) return;
    }
  }

  /**
   * Reads run at once on the write connection, which sees only committed data when no
   * transaction is open. While one is (a hook awaiting), they go to a read-only connection that
   * sees the last commit, or, for an in-memory database, which has no second connection, wait.
   */
  async #read<T>(query: (queries: ReadQueries) => T): Promise<T> {
    this.#ensureOpen();
    try {
      if (!this.db.inTransaction) return query(this.#queries);
      const reader = this.#readerQueries();
      if (reader !== undefined) return query(reader);
    } catch (error) {
      throw translateError(error, this.#config.busyTimeoutMs);
    }
    return this.#writeLock.run(async () => {
      try {
        return query(this.#queries);
      } catch (error) {
        throw translateError(error, this.#config.busyTimeoutMs);
      }
    });
  }

  #readerQueries(): ReadQueries | undefined {
    if (this.db.memory) return undefined;
    if (this.#reader === undefined) {
      const db = new Database(this.db.name, {
        readonly: true,
        fileMustExist: true,
        timeout: this.#config.busyTimeoutMs,
      });
      this.#reader = { db, queries: prepareReadQueries(db) };
    }
    return this.#reader.queries;
  }

  #startPolling(): void {
    if (this.#poll !== undefined) return;
    this.#seenDataVersion = this.#dataVersion.get() ?? 0;
    this.#poll = setInterval(() => this.#checkForOtherCommits(), this.#config.pollIntervalMs);
    // Listening must not keep the process alive.
    this.#poll.unref();
  }

  #stopPolling(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  /** `data_version` changes when another connection commits; our own commits notify directly. */
  #checkForOtherCommits(): void {
    if (this.db.inTransaction) return;
    try {
      const version = this.#dataVersion.get() ?? 0;
      if (version === this.#seenDataVersion) return;
      this.#seenDataVersion = version;
      this.#notify(this.#queries.headPosition());
    } catch {
      // A timer has no caller to report to; a locked or busy file is retried on the next tick.
    }
  }

  #notify(head: number): void {
    if (head <= this.#notifiedHead) return;
    this.#notifiedHead = head;
    for (const listener of this.#listeners) {
      try {
        listener(head);
      } catch {
        // The append has committed; a failing listener must neither undo it nor starve the others.
      }
    }
  }

  #ensureOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): HindsightError {
  return new HindsightError('STORE_CLOSED', 'The SQLite storage is closed');
}
