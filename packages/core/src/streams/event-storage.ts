import type { StoredEvent } from '../events/event.js';
import type { AppendFence } from './capabilities/append-fence.js';
import type { DocumentStore } from './capabilities/documents.js';
import type { LeaseStore } from './capabilities/leases.js';
import type { ReadHorizonMonitor } from './capabilities/read-horizon.js';
import type { StorageAdmin } from './capabilities/storage-admin.js';
import type { StreamLifecycle } from './capabilities/stream-lifecycle.js';
import type { StreamLocks } from './capabilities/stream-locks.js';
import type {
  AppendRequest,
  AppendResult,
  GlobalPageQuery,
  StoredSnapshot,
  StreamInfo,
  StreamPageQuery,
  TransactionHook,
} from './storage-records.js';

export type { AppendFence, HeldLog } from './capabilities/append-fence.js';
export type { DocumentQuery, DocumentStore, StoredDocument } from './capabilities/documents.js';
export type { LeaseStore, StoredLease } from './capabilities/leases.js';
export type { ReadHorizonMonitor, ReadHorizonReport } from './capabilities/read-horizon.js';
export type {
  StorageAdmin,
  StorageStats,
  StoredCheckpoint,
  StreamListQuery,
} from './capabilities/storage-admin.js';
export type {
  StreamLifecycle,
  StreamLifecycleInfo,
  StreamStatus,
} from './capabilities/stream-lifecycle.js';
export type { StreamLocks } from './capabilities/stream-locks.js';
export type {
  AppendRequest,
  AppendResult,
  ExpectedVersion,
  GlobalPageQuery,
  PreparedEvent,
  StoredSnapshot,
  StreamInfo,
  StreamPageQuery,
  TransactionHook,
} from './storage-records.js';

/**
 * The names of the port's optional capabilities: each is one object on the storage, present as a
 * whole or absent.
 *
 * @example
 * ```ts
 * const present = storageCapabilities.filter((name) => storage[name] !== undefined);
 * ```
 */
export type StorageCapability =
  | 'documents'
  | 'leases'
  | 'admin'
  | 'appendFence'
  | 'streamLocks'
  | 'readHorizon'
  | 'lifecycle'
  | 'partitionedReads';

/**
 * The storage port: the few primitives an adapter implements, plus optional capabilities, each an
 * object of its own that a storage has completely or not at all. Everything else (validation,
 * aggregates, snapshots policy, paging into streams, consumers) lives in core once.
 *
 * Invariants, proven for each adapter by the conformance suite in `@hindsight/core/testing`:
 * 1. per-stream versions are contiguous from 1 and exactly one writer wins per expected version;
 * 2. global positions are strictly increasing and become visible in order: a reader that has seen
 *    position p never later finds an event below p;
 * 3. an append (with its transaction hook) is all or nothing;
 * 4. an event id appended twice is stored once.
 *
 * `Tx` is the handle inline work receives inside an append's transaction (a pg client, a SQLite
 * database, an in-memory unit of work).
 *
 * @example
 * ```ts
 * const storage: EventStorage<InMemoryTransaction> = createInMemoryStorage();
 * const result = await storage.append({
 *   streamId: 'Order-o-1',
 *   streamType: 'Order',
 *   expectedVersion: 'no_stream',
 *   events: [{ eventId: crypto.randomUUID(), type: 'OrderPlaced', data: { total: 10 }, metadata: {} }],
 * });
 * if (storage.documents) await storage.documents.put('notes', 'o-1', { seen: result.position });
 * ```
 */
export interface EventStorage<Tx = unknown> {
  /** A short name for messages and tools, e.g. `'memory'`, `'postgres'`. */
  readonly kind: string;
  /**
   * Appends atomically, checking the expected version and event ids. Throws `ConcurrencyError`,
   * `StreamTypeMismatchError` or `EventIdConflictError`; on any error nothing is written.
   */
  append(request: AppendRequest, hook?: TransactionHook<Tx>): Promise<AppendResult>;
  readStream(streamId: string, query: StreamPageQuery): Promise<readonly StoredEvent[]>;
  readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]>;
  /**
   * Optional: `readAll` honours `query.partition`, so a partitioned consumer reads only its own
   * streams' events. Without it the reader drops other partitions' events itself.
   */
  readonly partitionedReads?: true;
  streamInfo(streamId: string): Promise<StreamInfo | undefined>;
  /** The position of the last committed event (0 for an empty store). */
  headPosition(): Promise<number>;
  loadSnapshot(streamId: string): Promise<StoredSnapshot | undefined>;
  /** Keeps the newest snapshot per stream: an older version than the stored one is ignored. */
  saveSnapshot(snapshot: StoredSnapshot): Promise<void>;
  /**
   * Optional: deletes a stream's snapshot (forgetting a data subject drops the snapshots holding
   * its data); the next load folds the stream from its events. Deleting none does nothing.
   */
  deleteSnapshot?(streamId: string): Promise<void>;
  loadCheckpoint(consumerId: string): Promise<number | undefined>;
  /** Saves a consumer's position; with `transaction`, as part of that transaction. */
  saveCheckpoint(consumerId: string, position: number, transaction?: Tx): Promise<void>;
  /**
   * Optional: deletes a consumer's checkpoint (pruning a retired projection version); with
   * `transaction`, as part of that transaction. Deleting an absent checkpoint does nothing.
   */
  deleteCheckpoint?(consumerId: string, transaction?: Tx): Promise<void>;
  /**
   * Runs `work` in one transaction: its writes and checkpoints commit together or not at all.
   * Inside `work` (and inside an append's hook) pass the transaction along; a nested `append` or
   * `transaction` on the same storage would wait for the one it runs in, forever.
   */
  transaction<T>(work: (transaction: Tx) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` with the new head after commits; returns the unsubscribe function. A throwing
   * listener is ignored: the append it heard about has committed and stays successful.
   */
  onAppended(listener: (head: number) => void): () => void;
  close(): Promise<void>;
  /** Keyed JSON documents beside the checkpoints (see {@link DocumentStore}). */
  readonly documents?: DocumentStore<Tx>;
  /** Consumer leases across processes (see {@link LeaseStore}). */
  readonly leases?: LeaseStore<Tx>;
  /** Read-only listings for tools (see {@link StorageAdmin}). */
  readonly admin?: StorageAdmin;
  /** Transactions holding appends back, for stores whose appends commit concurrently (see {@link AppendFence}). */
  readonly appendFence?: AppendFence<Tx>;
  /** Stream locks across processes, for hot streams (see {@link StreamLocks}). */
  readonly streamLocks?: StreamLocks;
  /** What holds reads of the global log back, for stores whose appends commit concurrently (see {@link ReadHorizonMonitor}). */
  readonly readHorizon?: ReadHorizonMonitor;
  /** Closing, archiving and deleting streams (see {@link StreamLifecycle}). */
  readonly lifecycle?: StreamLifecycle<Tx>;
}

/**
 * Every optional capability of the port, by name.
 *
 * @example
 * ```ts
 * const missing = storageCapabilities.filter((name) => storage[name] === undefined);
 * console.log(`${storage.kind} lacks ${missing.join(', ') || 'nothing'}`);
 * ```
 */
export const storageCapabilities: readonly StorageCapability[] = [
  'documents',
  'leases',
  'admin',
  'appendFence',
  'streamLocks',
  'readHorizon',
  'lifecycle',
  'partitionedReads',
];
