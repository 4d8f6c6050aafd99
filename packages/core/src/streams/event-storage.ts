import type { EventMetadata, StoredEvent } from '../events/event.js';

/**
 * What an append expects of its stream:
 * - a number `n`: the stream is exactly at version `n` (`0` means it does not exist yet);
 * - `'no_stream'`: the stream does not exist;
 * - `'stream_exists'`: the stream has at least one event;
 * - `'any'`: no check.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

/** An event ready for storage: validated, its payload and metadata plain JSON, its id assigned. */
export interface PreparedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  /**
   * When it was recorded, for events carried over from another store (`hindsight import`): kept
   * as given, to the millisecond. Without it the storage stamps the append's time.
   */
  readonly recordedAt?: Date;
}

/** One atomic append: all its events are stored together, or none is. Never empty. */
export interface AppendRequest {
  readonly streamId: string;
  readonly streamType: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly PreparedEvent[];
}

/** What an append stored. */
export interface AppendResult {
  readonly streamId: string;
  /** The stream's version after the append: the version of its last event. */
  readonly version: number;
  /** The global position of the last event appended. */
  readonly position: number;
  readonly events: readonly StoredEvent[];
  /**
   * True when every event id of the request was already stored by an earlier identical append
   * (a retry whose acknowledgement was lost): nothing was written and `events` are the stored ones.
   */
  readonly alreadyStored: boolean;
}

/** Runs inside the append's transaction, after the events are written and before they commit. */
export type TransactionHook<Tx, Event = StoredEvent> = (
  transaction: Tx,
  events: readonly Event[],
) => Promise<void>;

/** A page of one stream. Versions are inclusive bounds. */
export interface StreamPageQuery {
  readonly direction: 'forward' | 'backward';
  readonly minVersion?: number;
  readonly maxVersion?: number;
  /** Only events recorded at or before this instant. */
  readonly until?: Date;
  readonly limit: number;
}

/** A page of the global log, in position order. */
export interface GlobalPageQuery {
  /** Exclusive: the position already seen (0 for the beginning). */
  readonly after: number;
  /** Inclusive upper bound. */
  readonly upTo?: number;
  readonly limit: number;
  readonly types?: readonly string[];
  readonly streamTypes?: readonly string[];
}

/** What a store knows of one stream without reading its events. */
export interface StreamInfo {
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
}

/** The latest saved state of one stream. `state` is plain JSON. */
export interface StoredSnapshot {
  readonly streamId: string;
  readonly streamType: string;
  readonly version: number;
  /** The shape version of `state`; a snapshot of another shape is ignored on load. */
  readonly schemaVersion: number;
  readonly state: unknown;
  readonly timestamp: Date;
}

/**
 * One JSON document of a keyed collection (see {@link EventStorage.putDocument}).
 *
 * @example
 * ```ts
 * const due: readonly StoredDocument[] = await storage.listDocuments!('deadlines', { limit: 10 });
 * ```
 */
export interface StoredDocument {
  readonly key: string;
  /** Plain JSON, as saved. */
  readonly value: unknown;
}

/**
 * A range of one collection's keys, ascending. Keys compare by Unicode code point (UTF-8 byte
 * order; in SQL, `COLLATE "C"`), so fixed-width ASCII keys such as ISO dates sort as expected.
 *
 * @example
 * ```ts
 * const page = await storage.listDocuments!('deadlines', { after: '2030-01-01', upTo: '2030-01-02', limit: 50 });
 * ```
 */
export interface DocumentQuery {
  /** Exclusive lower bound. */
  readonly after?: string;
  /** Inclusive upper bound. */
  readonly upTo?: string;
  readonly limit: number;
}

/**
 * A page of a store's streams, ascending by stream id in code point order (see
 * {@link EventStorage.listStreams}).
 *
 * @example
 * ```ts
 * const page = await storage.listStreams!({ streamType: 'Order', after: 'Order-o-9', limit: 100 });
 * ```
 */
export interface StreamListQuery {
  /** Exclusive: the last stream id of the previous page. */
  readonly after?: string;
  /** Only streams of this type. */
  readonly streamType?: string;
  readonly limit: number;
}

/**
 * One consumer's saved position (see {@link EventStorage.listCheckpoints}).
 *
 * @example
 * ```ts
 * for (const { consumerId, position } of await storage.listCheckpoints!()) console.log(consumerId, position);
 * ```
 */
export interface StoredCheckpoint {
  readonly consumerId: string;
  readonly position: number;
}

/**
 * How much a store holds (see {@link EventStorage.stats}).
 *
 * @example
 * ```ts
 * const { streams, events } = await storage.stats!();
 * ```
 */
export interface StorageStats {
  readonly streams: number;
  readonly events: number;
}

/**
 * Who holds a consumer's lease and until when (see {@link EventStorage.acquireLease}).
 *
 * @example
 * ```ts
 * const lease: StoredLease | undefined = await storage.readLease!('projection:orders@1');
 * if (lease) console.log(`${lease.owner} until ${lease.expiresAt.toISOString()}`);
 * ```
 */
export interface StoredLease {
  readonly name: string;
  readonly owner: string;
  /** When the lease lapses unless renewed; by the storage's clock (the database's, where it has one). */
  readonly expiresAt: Date;
}

/**
 * The log as a transaction holding appends back sees it (see
 * {@link EventStorage.transactionHoldingAppends}): final while the transaction lasts.
 *
 * @example
 * ```ts
 * await storage.transactionHoldingAppends!(async (tx, log) => {
 *   const head = await log.headPosition();
 *   const page = await log.readAll({ after: 0, upTo: head, limit: 100 });
 * });
 * ```
 */
export interface HeldLog {
  headPosition(): Promise<number>;
  readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]>;
}

/**
 * The storage port: the few primitives an adapter implements. Everything else (validation,
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
  streamInfo(streamId: string): Promise<StreamInfo | undefined>;
  /** The position of the last committed event (0 for an empty store). */
  headPosition(): Promise<number>;
  loadSnapshot(streamId: string): Promise<StoredSnapshot | undefined>;
  /** Keeps the newest snapshot per stream: an older version than the stored one is ignored. */
  saveSnapshot(snapshot: StoredSnapshot): Promise<void>;
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
   * Keyed JSON documents, grouped in collections: the small state consumers keep beside their
   * checkpoint (process-manager state, scheduled commands, dead letters, projection versions).
   * Optional as a whole: an adapter implements all four document methods or none; features that need
   * them throw `NotSupportedError` otherwise. With `transaction`, reads see that transaction's own
   * writes and writes commit or roll back with it (and with checkpoints saved in it); without, each
   * call stands alone. Values are plain JSON and are returned as copies.
   */
  getDocument?(collection: string, key: string, transaction?: Tx): Promise<StoredDocument | undefined>;
  /** Inserts or replaces the document at `key`. */
  putDocument?(collection: string, key: string, value: unknown, transaction?: Tx): Promise<void>;
  /** Removes the document at `key`; removing a missing key is a no-op. */
  deleteDocument?(collection: string, key: string, transaction?: Tx): Promise<void>;
  /** Documents of a key range, ascending by key (see {@link DocumentQuery}). */
  listDocuments?(
    collection: string,
    query: DocumentQuery,
    transaction?: Tx,
  ): Promise<readonly StoredDocument[]>;
  /**
   * Optional, read-only, for tools such as the CLI: a page of the store's streams (see
   * {@link StreamListQuery}). Adapters implement `listStreams`, `listCheckpoints` and `stats`
   * independently; callers check for each.
   */
  listStreams?(query: StreamListQuery): Promise<readonly StreamInfo[]>;
  /** Optional, read-only: every consumer's checkpoint, ascending by consumer id (code point order). */
  listCheckpoints?(): Promise<readonly StoredCheckpoint[]>;
  /** Optional, read-only: how many streams and events the store holds. */
  stats?(): Promise<StorageStats>;
  /**
   * Optional, all three lease methods or none: a named, expiring, exclusive lease, so that of the
   * consumers of one name across processes exactly one is active. Acquires the lease for `owner`
   * when it is free or expired, renews it when `owner` holds it already (either way for `ttlMs`
   * from now); true when `owner` holds it afterwards. Never waits for a live holder.
   */
  acquireLease?(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it (others may acquire it at once); otherwise a no-op. */
  releaseLease?(name: string, owner: string): Promise<void>;
  /**
   * The fence, inside `transaction`: throws `LeaseLostError` (so the transaction rolls back) unless
   * `owner` holds the unexpired lease `name`; once it passed, no other owner can acquire the lease
   * until the transaction has ended, so a consumer that lost its lease can commit neither an
   * effect nor a checkpoint.
   */
  assertLease?(name: string, owner: string, transaction: Tx): Promise<void>;
  /** Optional, read-only: the lease's holder, undefined when nobody ever held it or it was released. */
  readLease?(name: string): Promise<StoredLease | undefined>;
  /**
   * Optional, for stores whose appends commit concurrently (PostgreSQL): like `transaction`, but
   * first holds every append back (those in flight are waited out, new ones wait until it ends),
   * and `log` reads the log as final inside it. A projection rebuild switches versions in one, so
   * no inline append applies an event to the replaced version after the switch, and none is
   * missed by the new one. Stores whose transactions already exclude appends need not implement
   * it: core then uses `transaction` with the storage's own reads (memory does; SQLite implements
   * it anyway, because on a single-connection database reads from outside an open transaction
   * wait for it).
   */
  transactionHoldingAppends?<T>(work: (transaction: Tx, log: HeldLog) => Promise<T>): Promise<T>;
  /**
   * Optional: an exclusive lock on one stream id across every process of the store, held until
   * the returned function is called. Writers of a hot stream take it around load → decide →
   * append (`execute(…, { lockStream: true })`), so they queue instead of conflicting and retrying;
   * it does not block plain appends, whose expected version is still checked. Without it, core
   * serializes such writers within the process only.
   */
  lockStream?(streamId: string): Promise<() => Promise<void>>;
  /**
   * Optional, for stores whose appends commit concurrently (PostgreSQL): what holds reads of the
   * global log back right now. `waitingFor` is set while an append that took a lower position is
   * still open (a slow transaction hook, a session idle in transaction): reads stop below it rather
   * than skip it, and consumers show it in their status.
   */
  readHorizon?(): {
    readonly waitingFor: { readonly kind: 'in-flight-append'; readonly since: Date } | undefined;
  };
  /**
   * Calls `listener` with the new head after commits; returns the unsubscribe function. A throwing
   * listener is ignored: the append it heard about has committed and stays successful.
   */
  onAppended(listener: (head: number) => void): () => void;
  close(): Promise<void>;
}
