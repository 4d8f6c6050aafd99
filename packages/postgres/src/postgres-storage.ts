import {
  type AppendFence,
  type AppendRequest,
  type AppendResult,
  ConcurrencyError,
  checkExpectedVersionMatches,
  type DocumentStore,
  type EventStorage,
  findAlreadyStored,
  type GlobalPageQuery,
  HindsightError,
  InvalidArgumentError,
  type LeaseStore,
  type StorageAdmin,
  type StoredEvent,
  type StoredSnapshot,
  StreamClosedError,
  StreamDeletedError,
  type StreamInfo,
  type StreamLifecycle,
  type StreamLocks,
  type StreamPageQuery,
  StreamTypeMismatchError,
  type TransactionHook,
} from '@hindsight/core';
import type { Pool } from 'pg';
import { createPostgresAdmin } from './admin/postgres-admin.js';
import { deleteCheckpointStatement } from './checkpoints/delete-checkpoint.js';
import { type CheckpointRow, loadCheckpointStatement } from './checkpoints/load-checkpoint.js';
import { saveCheckpointStatement } from './checkpoints/save-checkpoint.js';
import { createPostgresDocuments } from './documents/postgres-documents.js';
import { AppendCoalescer, type AppendOutcome } from './internal/append-coalescer.js';
import { AppendNotifier } from './internal/append-notifier.js';
import { createDriver } from './internal/create-driver.js';
import { type Driver, type Session, sessionOf } from './internal/driver.js';
import { type EventRow, toStoredEvent } from './internal/event-row.js';
import { appendedChannel, checkSchemaName, quoteIdentifier } from './internal/identifiers.js';
import { positionLockKey } from './internal/position-lock.js';
import { type PostgresReadHorizon, ReadHorizon, readBelowHorizon } from './internal/read-horizon.js';
import type { StorageContext } from './internal/storage-context.js';
import { isUniqueViolation } from './internal/storage-errors.js';
import { SessionStreamLocks } from './internal/stream-locks.js';
import { unstorableJsonError } from './internal/unstorable-json.js';
import { createPostgresLeases } from './leases/postgres-leases.js';
import type { PostgresClient, TransactionClientOf } from './postgres-client.js';
import type { PostgresTransaction } from './postgres-transaction.js';
import { type MigrationResult, migrateWith } from './schema/migrate.js';
import { deleteSnapshotStatement } from './snapshots/delete-snapshot.js';
import { loadSnapshotStatement, type SnapshotRow, toStoredSnapshot } from './snapshots/load-snapshot.js';
import { saveSnapshotParams, saveSnapshotStatement } from './snapshots/save-snapshot.js';
import {
  type AppendBatchRow,
  type AppendRow,
  appendBatchParams,
  appendBatchStatement,
  appendCall,
  appendedEvents,
  appendStatements,
  type EncodedAppend,
  encodeAppend,
} from './streams/append.js';
import {
  findEventsParams,
  findEventsStatement,
  type RefusalRow,
  refusalStatement,
} from './streams/find-events.js';
import { type HeadPositionRow, headPositionStatement } from './streams/head-position.js';
import { createPostgresAppendFence } from './streams/postgres-append-fence.js';
import { createPostgresLifecycle, streamStatusOf } from './streams/postgres-lifecycle.js';
import { createPostgresStreamLocks } from './streams/postgres-stream-locks.js';
import { maxPosition, readAllCall, readAllStatements } from './streams/read-all.js';
import { readHorizonStatements } from './streams/read-horizon.js';
import { readStreamParams, readStreamStatements } from './streams/read-stream.js';
import { type StreamInfoRow, streamInfoStatement } from './streams/stream-info.js';

/**
 * Options of {@link createPostgresStorage}.
 *
 * @example
 * ```ts
 * const options: PostgresStorageOptions<pg.Pool> = {
 *   client: pool,
 *   schema: 'billing_events',
 *   onError: (error) => logger.warn({ error }, 'hindsight background error'),
 * };
 * ```
 */
export interface PostgresStorageOptions<Client extends PostgresClient = PostgresClient> {
  /**
   * Your pool (or PGlite instance). The storage never ends it: `close()` leaves it open. A pool
   * with no 'error' listener gets one that passes errors of idle connections to `onError`, since
   * `pg` would otherwise end the process when the server closes one; add your own to handle them.
   */
  readonly client: Client;
  /** The schema holding Hindsight's tables (default `'hindsight'`). */
  readonly schema?: string;
  /**
   * Receives background errors, which have no caller to throw to: the notification connection
   * was lost (it reconnects by itself), an `onAppended` listener threw, or an idle connection of a
   * pool without an 'error' listener was ended by the server. Default: ignored.
   */
  readonly onError?: (error: unknown) => void;
  /**
   * Whether `pg` prepares each statement once per connection (named statements; default true).
   * Turn off behind a pooler that cannot keep prepared statements across transactions (PgBouncer in
   * transaction mode before 1.21, or without `max_prepared_statements`). Ignored by PGlite.
   */
  readonly prepareStatements?: boolean;
  /**
   * The longest a read of the global log (`readAll`, `headPosition`) waits for appends still in
   * flight below the head, in milliseconds (default 200). When one stays open longer (a slow
   * transaction hook), the read returns what is safe, stopping below it, and
   * `storage.readHorizon.current()` reports the wait. Appends queue behind a waiting read, so
   * keep it short. Ignored by PGlite.
   */
  readonly readWaitMs?: number;
  /**
   * Whether appends that arrive while others are in flight are sent together, as one statement
   * and one commit (group commit; default true). Each keeps its own expected-version check and
   * its own result, and is acknowledged only once committed: a refused append never fails the
   * others. Concurrent writers in one process then share round trips and WAL flushes. One append
   * per stream is sent at a time: when it commits, the stream's waiting appends that expected an
   * earlier version are refused without being sent (they would be refused anyway), so writers
   * racing on a hot stream cost one statement per success. Appends with a transaction hook always
   * run alone. Ignored by PGlite, whose statements never overlap.
   */
  readonly coalesceAppends?: boolean;
}

/**
 * The PostgreSQL storage: the core storage port with its documents, leases, admin listings, append
 * fence, read horizon, partitioned reads and (over a pool) stream locks, plus its schema and migrations.
 *
 * @example
 * ```ts
 * const storage: PostgresStorage<pg.PoolClient> = createPostgresStorage({ client: pool });
 * await storage.migrate();
 * await storage.transaction(async (tx) => {
 *   await tx.query('UPDATE order_totals SET total = 0');
 *   await storage.saveCheckpoint('order-totals', 0, tx);
 * });
 * ```
 */
export interface PostgresStorage<TransactionClient = unknown>
  extends EventStorage<PostgresTransaction<TransactionClient>> {
  /** The schema holding the tables, as given (unquoted). */
  readonly schema: string;
  /** Creates or upgrades the tables in {@link PostgresStorage.schema}: see {@link migrate}. */
  migrate(): Promise<MigrationResult>;
  /**
   * How far reads of the global log go, as this instance last proved it: the safe horizon, and
   * whether reads are held below the head by an append still in flight (see
   * {@link PostgresStorageOptions.readWaitMs}). On PGlite, whose appends never overlap a read,
   * `safe` is `Number.MAX_SAFE_INTEGER` and nothing is waited for.
   *
   * @example
   * ```ts
   * const { safe, waitingFor } = storage.readHorizon.current();
   * ```
   */
  readonly readHorizon: PostgresReadHorizon;
  readonly documents: DocumentStore<PostgresTransaction<TransactionClient>>;
  /**
   * Consumer leases as rows of the `leases` table, by the database's clock; consumer runners use
   * them on their own.
   *
   * @example
   * ```ts
   * if (await storage.leases.acquire('projection:orders@1', 'worker-1', 10_000)) console.log('owner');
   * ```
   */
  readonly leases: LeaseStore<PostgresTransaction<TransactionClient>>;
  readonly admin: StorageAdmin;
  /**
   * `readAll` honours `query.partition` in SQL (migration 11), so each partition of a partitioned
   * consumer reads only its own streams' events.
   */
  readonly partitionedReads: true;
  /**
   * Transactions that hold every append back: projection rebuilds switch versions in one.
   *
   * @example
   * ```ts
   * await storage.appendFence.transaction(async (tx, log) => console.log(await log.headPosition()));
   * ```
   */
  readonly appendFence: AppendFence<PostgresTransaction<TransactionClient>>;
  /** Closing, archiving and deleting streams, with an archive table beside the events. */
  readonly lifecycle: StreamLifecycle<PostgresTransaction<TransactionClient>>;
}

const defaultReadWaitMs = 200;
// After a read's wait ran out, reads only try the lock (never queue) for this many waits.
const readBackoffWaits = 5;

// A refusal is re-examined this many times when it raced with a commit that now satisfies it.
const maxAppendAttempts = 3;
// Group commit: statements of appends in flight at once before the next ones queue, and the most
// appends one statement carries (see bench/README.md, "Appends: where the time goes").
const coalesceMaxInFlight = 2;
const coalesceMaxBatch = 64;

/**
 * Creates the PostgreSQL storage over your `pg` pool or PGlite instance. Call `migrate()` once
 * (at deploy or start-up) before using it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createEventStore } from '@hindsight/core';
 * import { createPostgresStorage } from '@hindsight/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const storage = createPostgresStorage({ client: pool });
 * await storage.migrate();
 * const store = createEventStore({ storage, events: [Order] });
 * ```
 */
export function createPostgresStorage<Client extends PostgresClient>(
  options: PostgresStorageOptions<Client>,
): PostgresStorage<TransactionClientOf<Client>> {
  const schema = options.schema ?? 'hindsight';
  checkSchemaName(schema);
  const readWaitMs = options.readWaitMs ?? defaultReadWaitMs;
  if (!Number.isSafeInteger(readWaitMs) || readWaitMs < 1) {
    throw new InvalidArgumentError({
      argument: 'readWaitMs',
      value: readWaitMs,
      problem: 'must be a positive integer (milliseconds)',
    });
  }
  const driver = createDriver(options.client, { prepareStatements: options.prepareStatements ?? true });
  const onError = options.onError ?? (() => undefined);
  if (!driver.serialized) hearIdleErrors(options.client as Pool, onError);
  const coalesce = (options.coalesceAppends ?? true) && !driver.serialized;
  return new PostgresEventStorage(driver, schema, onError, readWaitMs, coalesce);
}

/**
 * `pg` re-emits an error of an idle pooled connection (the server ended it: restart, failover,
 * `idle_session_timeout`, `pg_terminate_backend`) on the pool, and an 'error' event nobody hears
 * ends the process. The storage's own idle connections must not crash the application, so a pool
 * without a listener gets one that hands the error to `onError`; the pool drops the connection
 * either way, and the next query opens a new one. A listener of the application's is left alone.
 */
function hearIdleErrors(pool: Pool, onError: (error: unknown) => void): void {
  if (pool.listenerCount('error') === 0) pool.on('error', (error) => onError(error));
}

function statementsFor(schema: string) {
  const quoted = quoteIdentifier(schema);
  return {
    append: appendStatements(quoted),
    appendBatch: appendBatchStatement(quoted),
    findEvents: findEventsStatement(quoted),
    refusal: refusalStatement(quoted),
    readStream: readStreamStatements(quoted),
    readAll: readAllStatements(quoted),
    readHorizon: readHorizonStatements(quoted),
    streamInfo: streamInfoStatement(quoted),
    headPosition: headPositionStatement(quoted),
    loadSnapshot: loadSnapshotStatement(quoted),
    saveSnapshot: saveSnapshotStatement(quoted),
    deleteSnapshot: deleteSnapshotStatement(quoted),
    loadCheckpoint: loadCheckpointStatement(quoted),
    saveCheckpoint: saveCheckpointStatement(quoted),
    deleteCheckpoint: deleteCheckpointStatement(quoted),
  };
}

class PostgresEventStorage<TransactionClient> implements PostgresStorage<TransactionClient> {
  readonly kind = 'postgres';
  readonly partitionedReads = true;
  readonly schema: string;
  readonly #driver: Driver;
  readonly #sql: ReturnType<typeof statementsFor>;
  readonly #notifier: AppendNotifier;
  readonly #lockKey: readonly [number, number];
  // Undefined when appends are not coalesced (turned off, or PGlite).
  readonly #coalescer: AppendCoalescer | undefined;
  // Undefined on PGlite, whose appends never overlap a read.
  readonly #horizon: ReadHorizon | undefined;
  // Undefined on PGlite, whose one connection a held lock would hold up.
  #sessionLocks: SessionStreamLocks | undefined;
  #closed = false;
  readonly documents: DocumentStore<PostgresTransaction<TransactionClient>>;
  readonly leases: LeaseStore<PostgresTransaction<TransactionClient>>;
  readonly admin: StorageAdmin;
  readonly appendFence: AppendFence<PostgresTransaction<TransactionClient>>;
  readonly lifecycle: StreamLifecycle<PostgresTransaction<TransactionClient>>;
  readonly readHorizon: PostgresReadHorizon = {
    current: () => this.#horizon?.state ?? { safe: Number.MAX_SAFE_INTEGER, waitingFor: undefined },
  };
  declare readonly streamLocks?: StreamLocks;

  constructor(
    driver: Driver,
    schema: string,
    onError: (error: unknown) => void,
    readWaitMs: number,
    coalesce: boolean,
  ) {
    this.schema = schema;
    this.#driver = driver;
    this.#sql = statementsFor(schema);
    this.#lockKey = positionLockKey(schema);
    this.#coalescer = coalesce
      ? new AppendCoalescer(
          { single: (append) => this.#appendAlone(append), batch: (appends) => this.#appendBatch(appends) },
          { maxInFlight: coalesceMaxInFlight, maxBatch: coalesceMaxBatch },
        )
      : undefined;
    const context: StorageContext = {
      driver,
      schema,
      quoted: quoteIdentifier(schema),
      lockKey: this.#lockKey,
      ensureOpen: () => this.#ensureOpen(),
    };
    this.documents = createPostgresDocuments(context);
    this.leases = createPostgresLeases(context);
    this.admin = createPostgresAdmin(context);
    this.appendFence = createPostgresAppendFence(context);
    this.lifecycle = createPostgresLifecycle(context, {
      appended: (position) => {
        this.#notifier.publish(position);
        this.#notifier.announce(position);
      },
    });
    this.#horizon = driver.serialized
      ? undefined
      : new ReadHorizon({
          session: driver,
          statements: this.#sql.readHorizon,
          head: this.#sql.headPosition,
          lockKey: this.#lockKey,
          waitMs: readWaitMs,
          backoffMs: readWaitMs * readBackoffWaits,
        });
    const dedicated = driver.dedicated;
    if (dedicated !== undefined) {
      this.#sessionLocks = new SessionStreamLocks(schema, () => dedicated.call(driver));
      this.streamLocks = createPostgresStreamLocks(context, this.#sessionLocks);
    }
    this.#notifier = new AppendNotifier({
      driver,
      channel: appendedChannel(schema),
      readHead: () => this.headPosition(),
      onError,
    });
  }

  async migrate(): Promise<MigrationResult> {
    this.#ensureOpen();
    return migrateWith(this.#driver, this.schema);
  }

  async append(
    request: AppendRequest,
    hook?: TransactionHook<PostgresTransaction<TransactionClient>>,
  ): Promise<AppendResult> {
    this.#ensureOpen();
    const encoded = encodeAppend(request);
    for (let attempt = 1; ; attempt += 1) {
      let appended: AppendResult | undefined;
      try {
        appended = await this.#tryAppend(encoded, hook);
      } catch (error) {
        throw unstorableJsonError(request, error) ?? error;
      }
      if (appended !== undefined) {
        this.#notifier.publish(appended.position);
        this.#notifier.announce(appended.position);
        return appended;
      }
      const earlier = await this.#explainRefusal(request, attempt >= maxAppendAttempts);
      if (earlier !== undefined) return earlier;
    }
  }

  /** Runs the append statement; undefined when the stream or an event id refused it. */
  async #tryAppend(
    encoded: EncodedAppend,
    hook: TransactionHook<PostgresTransaction<TransactionClient>> | undefined,
  ): Promise<AppendResult | undefined> {
    if (hook === undefined) {
      const row = await (this.#coalescer?.append(encoded) ?? this.#appendAlone(encoded));
      return row === undefined ? undefined : appendResult(appendedEvents(encoded, row));
    }
    // Only a unique violation of the append statement itself is a refusal; one raised by the
    // hook (say, by a read model's own constraint) is the hook's error.
    let refused = false;
    try {
      return await this.#driver.transaction(async (session, transaction) => {
        let row: AppendRow | undefined;
        try {
          const { statement, params } = appendCall(this.#sql.append, encoded, this.#lockKey);
          [row] = await session.run<AppendRow>(statement, params);
        } catch (error) {
          refused = isUniqueViolation(error);
          throw error;
        }
        if (row === undefined) return undefined;
        const events = appendedEvents(encoded, row);
        await hook(transaction as PostgresTransaction<TransactionClient>, events);
        return appendResult(events);
      });
    } catch (error) {
      if (refused) return undefined;
      throw error;
    }
  }

  /** One append in its own statement (autocommit); undefined when it was refused. */
  async #appendAlone(encoded: EncodedAppend): Promise<AppendOutcome> {
    try {
      const { statement, params } = appendCall(this.#sql.append, encoded, this.#lockKey);
      const [row] = await this.#driver.run<AppendRow>(statement, params);
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  /** Several appends in one statement (autocommit): one outcome per append, in order. */
  async #appendBatch(appends: readonly EncodedAppend[]): Promise<readonly AppendOutcome[]> {
    const rows = await this.#driver.run<AppendBatchRow>(
      this.#sql.appendBatch,
      appendBatchParams(appends, this.#lockKey),
    );
    const outcomes: AppendOutcome[] = appends.map(() => undefined);
    for (const row of rows) outcomes[Number(row.append_index) - 1] = row;
    return outcomes;
  }

  /**
   * Finds why an append was refused, reading what is committed now: an identical earlier append
   * (returned, the retry is a no-op), reused event ids, another stream type or another version
   * (thrown). Undefined when nothing explains it any more (the refusal raced with a concurrent
   * commit): the append is then tried again, unless `final`.
   */
  async #explainRefusal(request: AppendRequest, final: boolean): Promise<AppendResult | undefined> {
    const eventIds = findEventsParams(request.events.map((event) => event.eventId));
    // One statement for the stream and the ids: a refused writer, one of many racing on a stream,
    // retries a round trip sooner and holds one connection, not two.
    const [facts] = await this.#driver.run<RefusalRow>(this.#sql.refusal, [request.streamId, ...eventIds]);
    if (facts?.stored === 'true') {
      const rows = await this.#driver.run<EventRow>(this.#sql.findEvents, eventIds);
      const byId = new Map(rows.map((row) => [row.event_id, toStoredEvent(row)]));
      const already = findAlreadyStored(request, (eventId) => byId.get(eventId.toLowerCase()));
      if (already !== undefined) return already;
    }
    const status = facts?.status == null ? undefined : streamStatusOf(facts.status);
    if (status === 'closed') throw new StreamClosedError({ streamId: request.streamId });
    if (status === 'deleted') throw new StreamDeletedError({ streamId: request.streamId });
    if (facts?.stream_type != null && facts.stream_type !== request.streamType) {
      throw new StreamTypeMismatchError({
        streamId: request.streamId,
        expectedType: request.streamType,
        actualType: facts.stream_type,
      });
    }
    const actualVersion = Number(facts?.version ?? 0);
    checkExpectedVersionMatches(request.streamId, request.expectedVersion, actualVersion);
    if (final) {
      throw new ConcurrencyError({
        streamId: request.streamId,
        expectedVersion: request.expectedVersion,
        actualVersion,
      });
    }
    return undefined;
  }

  async readStream(streamId: string, query: StreamPageQuery): Promise<readonly StoredEvent[]> {
    this.#ensureOpen();
    const statements = this.#sql.readStream;
    const statement =
      query.until === undefined
        ? query.direction === 'forward'
          ? statements.forward
          : statements.backward
        : query.direction === 'forward'
          ? statements.forwardUntil
          : statements.backwardUntil;
    const rows = await this.#driver.run<EventRow>(statement, readStreamParams(streamId, query));
    return rows.map(toStoredEvent);
  }

  async readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]> {
    this.#ensureOpen();
    const horizon = this.#horizon;
    return horizon === undefined
      ? this.#readPage(query)
      : readBelowHorizon(horizon, query, (page) => this.#readPage(page));
  }

  async #readPage(query: GlobalPageQuery): Promise<readonly StoredEvent[]> {
    const { statement, params } = readAllCall(this.#sql.readAll, query);
    const rows = await this.#driver.run<EventRow>(statement, params);
    return rows.map(toStoredEvent);
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    this.#ensureOpen();
    const [row] = await this.#driver.run<StreamInfoRow>(this.#sql.streamInfo, [streamId]);
    return row === undefined
      ? undefined
      : { streamId, streamType: row.stream_type, version: Number(row.version) };
  }

  async headPosition(): Promise<number> {
    this.#ensureOpen();
    if (this.#horizon !== undefined) return this.#horizon.head();
    const [row] = await this.#driver.run<HeadPositionRow>(this.#sql.headPosition, [maxPosition]);
    return Number(row?.last ?? 0);
  }

  async loadSnapshot(streamId: string): Promise<StoredSnapshot | undefined> {
    this.#ensureOpen();
    const [row] = await this.#driver.run<SnapshotRow>(this.#sql.loadSnapshot, [streamId]);
    return row === undefined ? undefined : toStoredSnapshot(row);
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    this.#ensureOpen();
    await this.#driver.run(this.#sql.saveSnapshot, saveSnapshotParams(snapshot));
  }

  async deleteSnapshot(streamId: string): Promise<void> {
    this.#ensureOpen();
    await this.#driver.run(this.#sql.deleteSnapshot, [streamId]);
  }

  async loadCheckpoint(consumerId: string): Promise<number | undefined> {
    this.#ensureOpen();
    const [row] = await this.#driver.run<CheckpointRow>(this.#sql.loadCheckpoint, [consumerId]);
    return row === undefined ? undefined : Number(row.position);
  }

  async saveCheckpoint(
    consumerId: string,
    position: number,
    transaction?: PostgresTransaction<TransactionClient>,
  ): Promise<void> {
    this.#ensureOpen();
    await this.#session(transaction).run(this.#sql.saveCheckpoint, [consumerId, position]);
  }

  async deleteCheckpoint(
    consumerId: string,
    transaction?: PostgresTransaction<TransactionClient>,
  ): Promise<void> {
    this.#ensureOpen();
    await this.#session(transaction).run(this.#sql.deleteCheckpoint, [consumerId]);
  }

  /** Where a statement runs: in the given transaction, else on its own (autocommit). */
  #session(transaction: PostgresTransaction<TransactionClient> | undefined): Session {
    return transaction === undefined ? this.#driver : sessionOf(transaction);
  }

  async transaction<T>(
    work: (transaction: PostgresTransaction<TransactionClient>) => Promise<T>,
  ): Promise<T> {
    this.#ensureOpen();
    return this.#driver.transaction((_session, transaction) =>
      work(transaction as PostgresTransaction<TransactionClient>),
    );
  }

  onAppended(listener: (head: number) => void): () => void {
    this.#ensureOpen();
    return this.#notifier.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#notifier.close();
    await this.#sessionLocks?.close();
  }

  #ensureOpen(): void {
    if (this.#closed) throw new HindsightError('STORE_CLOSED', 'The PostgreSQL storage is closed');
  }
}

function appendResult(events: readonly StoredEvent[]): AppendResult {
  const last = events.at(-1) as StoredEvent;
  return {
    streamId: last.streamId,
    version: last.version,
    position: last.position,
    events,
    alreadyStored: false,
  };
}
