import { EventIdConflictError, StreamTypeMismatchError } from '../errors/hindsight-error.js';
import { StreamClosedError, StreamDeletedError } from '../errors/stream-lifecycle-errors.js';
import type { StoredEvent } from '../events/event.js';
import { Mutex } from '../internal/mutex.js';
import { checkExpectedVersionMatches, findAlreadyStored } from '../streams/append-rules.js';
import { EventLoopYielder } from '../streams/event-loop-yielder.js';
import type {
  AppendRequest,
  AppendResult,
  EventStorage,
  GlobalPageQuery,
  PreparedEvent,
  StorageAdmin,
  StoredSnapshot,
  StreamInfo,
  StreamLifecycle,
  StreamLifecycleInfo,
  StreamPageQuery,
  StreamStatus,
  TransactionHook,
} from '../streams/event-storage.js';
import { partitionOf } from '../subscriptions/partitions.js';
import { createInMemoryAdmin } from './in-memory-admin.js';
import { InMemoryDocuments } from './in-memory-documents.js';
import { InMemoryLeases } from './in-memory-leases.js';
import type { InMemoryTransaction } from './in-memory-transaction.js';
import { jsonCopy, MemoryUnitOfWork } from './memory-unit-of-work.js';

export type { InMemoryTransaction } from './in-memory-transaction.js';

/** Options of {@link createInMemoryStorage}. */
export interface InMemoryStorageOptions {
  /** The clock stamping events and snapshots; inject one to test time travel. */
  readonly clock?: () => Date;
}

interface StreamRecord {
  readonly streamType: string;
  /** The hot events, from version `archivedUpTo + 1`; a deleted stream's are gone, but its tombstone. */
  events: StoredEvent[];
  status: StreamStatus;
  changedAt: Date | undefined;
  reason: string | undefined;
  /** Versions up to this one moved to the storage's archive map. */
  archivedUpTo: number;
  tombstone: StoredEvent | undefined;
}

/**
 * A complete store in memory with no dependencies: for tests, examples and prototypes.
 *
 * @example
 * ```ts
 * const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
 * ```
 */
export function createInMemoryStorage(
  options: InMemoryStorageOptions = {},
): EventStorage<InMemoryTransaction> {
  return new InMemoryStorage(options.clock ?? (() => new Date()));
}

class InMemoryStorage implements EventStorage<InMemoryTransaction> {
  readonly kind = 'memory';
  readonly partitionedReads = true;
  // Indexed by position - 1; a deleted stream's events leave holes, so positions never move.
  readonly #log: (StoredEvent | undefined)[] = [];
  readonly #streams = new Map<string, StreamRecord>();
  readonly #byEventId = new Map<string, StoredEvent>();
  readonly #snapshots = new Map<string, StoredSnapshot>();
  // Archived events by stream, versions 1 to the stream's `archivedUpTo`: the SQL stores' archive table.
  readonly #archive = new Map<string, StoredEvent[]>();
  readonly #checkpoints = new Map<string, number>();
  readonly #listeners = new Set<(head: number) => void>();
  // Appends and transactions run one at a time, so a transaction hook sees a stable store.
  readonly #writeLock = new Mutex();
  readonly #clock: () => Date;
  readonly documents = new InMemoryDocuments();
  readonly leases = new InMemoryLeases(this.#writeLock);
  readonly admin: StorageAdmin;
  readonly lifecycle: StreamLifecycle<InMemoryTransaction> = {
    close: (streamId, closing) => this.#writeLock.run(async () => this.#close(streamId, closing)),
    delete: (streamId, tombstone, reason, hook) =>
      this.#writeLock.run(async () => this.#delete(streamId, tombstone, reason, hook)),
    importDeleted: (streamId, streamType, version, tombstone, deletion) =>
      this.#writeLock.run(async () =>
        this.#importDeleted(streamId, streamType, version, tombstone, deletion),
      ),
    status: async (streamId) => this.#status(streamId),
    archive: (streamId, upToVersion) =>
      this.#writeLock.run(async () => {
        const stream = this.#streams.get(streamId);
        if (stream === undefined || stream.status === 'deleted') return [];
        const head = this.#log.length;
        const moved = stream.events
          .slice(0, Math.max(upToVersion - stream.archivedUpTo, 0))
          .filter((event) => event.position < head);
        if (moved.length === 0) return [];
        stream.events.splice(0, moved.length);
        this.#archive.set(streamId, [...(this.#archive.get(streamId) ?? []), ...moved]);
        stream.archivedUpTo += moved.length;
        return moved;
      }),
  };
  readonly #yielder = new EventLoopYielder();

  constructor(clock: () => Date) {
    this.#clock = clock;
    this.admin = createInMemoryAdmin({
      log: this.#log,
      streams: this.#streams,
      checkpoints: this.#checkpoints,
    });
  }

  async append(request: AppendRequest, hook?: TransactionHook<InMemoryTransaction>): Promise<AppendResult> {
    try {
      return await this.#appendNow(request, hook);
    } finally {
      await this.#yielder.pause();
    }
  }

  #appendNow(request: AppendRequest, hook?: TransactionHook<InMemoryTransaction>): Promise<AppendResult> {
    return this.#writeLock.run(async () => {
      const stream = this.#streams.get(request.streamId);
      const already = findAlreadyStored(request, (eventId) => this.#byEventId.get(eventId));
      if (already !== undefined) return already;
      if (stream !== undefined && stream.streamType !== request.streamType) {
        throw new StreamTypeMismatchError({
          streamId: request.streamId,
          expectedType: request.streamType,
          actualType: stream.streamType,
        });
      }
      if (stream?.status === 'closed') throw new StreamClosedError({ streamId: request.streamId });
      if (stream?.status === 'deleted') throw new StreamDeletedError({ streamId: request.streamId });
      const current = stream === undefined ? 0 : versionOf(stream);
      checkExpectedVersionMatches(request.streamId, request.expectedVersion, current);
      const timestamp = this.#clock();
      const stored = request.events.map((event, index) =>
        this.#placed(event, request.streamId, request.streamType, current + index + 1, index, timestamp),
      );
      await this.#runHook(hook, stored);
      this.#commit(request, stored);
      return this.#result(request.streamId, stored, false);
    });
  }

  #commit(request: AppendRequest, stored: StoredEvent[]): void {
    const stream = this.#streams.get(request.streamId) ?? {
      streamType: request.streamType,
      events: [],
      status: 'open',
      changedAt: undefined,
      reason: undefined,
      archivedUpTo: 0,
      tombstone: undefined,
    };
    this.#streams.set(request.streamId, stream);
    for (const event of stored) {
      stream.events.push(event);
      this.#log.push(event);
      this.#byEventId.set(event.eventId, event);
    }
    this.#announce();
  }

  /** `event` as stored at `version`, `offset` places after the log's head, its payloads copied. */
  #placed(
    event: PreparedEvent,
    streamId: string,
    streamType: string,
    version: number,
    offset: number,
    timestamp: Date,
  ): StoredEvent {
    return deepFreeze({
      eventId: event.eventId,
      streamId,
      streamType,
      type: event.type,
      version,
      position: this.#log.length + offset + 1,
      timestamp: new Date(event.recordedAt ?? timestamp),
      data: jsonCopy(event.data),
      metadata: jsonCopy(event.metadata),
    });
  }

  /** Puts a deleted stream's tombstone at the head of the log, where consumers find it. */
  #logTombstone(marker: StoredEvent): void {
    this.#log.push(marker);
    this.#byEventId.set(marker.eventId, marker);
    this.#announce();
  }

  #announce(): void {
    const head = this.#log.length;
    for (const listener of this.#listeners) {
      // Committed: a failing listener must not turn it into an error for the writer.
      try {
        listener(head);
      } catch {}
    }
  }

  async #runHook(
    hook: TransactionHook<InMemoryTransaction> | undefined,
    stored: StoredEvent[],
  ): Promise<void> {
    if (hook === undefined) return;
    await this.#inTransaction((transaction) => hook(transaction, stored));
  }

  async #inTransaction<T>(work: (transaction: MemoryUnitOfWork) => Promise<T>): Promise<T> {
    const unit = new MemoryUnitOfWork();
    try {
      const result = await work(unit);
      for (const [consumer, position] of unit.checkpoints) {
        if (position === undefined) this.#checkpoints.delete(consumer);
        else this.#checkpoints.set(consumer, position);
      }
      this.documents.commit(unit);
      return result;
    } catch (error) {
      unit.rollback();
      throw error;
    }
  }

  #result(streamId: string, events: readonly StoredEvent[], alreadyStored: boolean): AppendResult {
    const last = events.at(-1);
    if (last === undefined) throw new Error('an append result needs at least one event');
    return { streamId, version: last.version, position: last.position, events, alreadyStored };
  }

  async readStream(streamId: string, query: StreamPageQuery): Promise<readonly StoredEvent[]> {
    const stream = this.#streams.get(streamId);
    const archived = this.#archive.get(streamId);
    const hot = stream?.tombstone === undefined ? (stream?.events ?? []) : [stream.tombstone];
    // Archived events read as if they had never moved.
    const events = archived === undefined ? hot : [...archived, ...hot];
    const first = events[0]?.version ?? 1;
    const last = events.at(-1)?.version ?? 0;
    const min = Math.max(query.minVersion ?? 1, first);
    const max = Math.min(query.maxVersion ?? last, last);
    const page: StoredEvent[] = [];
    const step = query.direction === 'forward' ? 1 : -1;
    for (let version = step === 1 ? min : max; version >= min && version <= max; version += step) {
      const event = events[version - first];
      if (event === undefined) break;
      // Not a stop: events carried over with their own times need not be in time order.
      if (query.until !== undefined && event.timestamp > query.until) continue;
      page.push(event);
      if (page.length >= query.limit) break;
    }
    return page;
  }

  async readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]> {
    const page: StoredEvent[] = [];
    const end = Math.min(query.upTo ?? this.#log.length, this.#log.length);
    const { partition } = query;
    for (let index = query.after; index < end && page.length < query.limit; index += 1) {
      const event = this.#log[index];
      if (event === undefined) continue;
      if (query.types !== undefined && !query.types.includes(event.type)) continue;
      if (query.streamTypes !== undefined && !query.streamTypes.includes(event.streamType)) continue;
      if (partition !== undefined && partitionOf(event.streamId, partition.count) !== partition.index)
        continue;
      page.push(event);
    }
    return page;
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    return { streamId, streamType: stream.streamType, version: versionOf(stream) };
  }

  #status(streamId: string): StreamLifecycleInfo | undefined {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    return {
      streamId,
      streamType: stream.streamType,
      version: versionOf(stream),
      status: stream.status,
      changedAt: stream.changedAt,
      reason: stream.reason,
      archivedUpTo: stream.archivedUpTo,
    };
  }

  #close(
    streamId: string,
    closing: { reason: string | undefined; at: Date },
  ): StreamLifecycleInfo | undefined {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    if (stream.status === 'deleted') throw new StreamDeletedError({ streamId });
    if (stream.status === 'open') {
      stream.status = 'closed';
      stream.changedAt = closing.at;
      stream.reason = closing.reason;
    }
    return this.#status(streamId);
  }

  async #delete(
    streamId: string,
    tombstone: PreparedEvent,
    reason: string | undefined,
    hook: TransactionHook<InMemoryTransaction> | undefined,
  ): Promise<StreamLifecycleInfo | undefined> {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    if (stream.status === 'deleted') return this.#status(streamId);
    const timestamp = this.#clock();
    const marker = this.#placed(tombstone, streamId, stream.streamType, versionOf(stream) + 1, 0, timestamp);
    // Before anything changes: a hook that throws leaves the stream as it was.
    await this.#runHook(hook, [marker]);
    for (const event of [...(this.#archive.get(streamId) ?? []), ...stream.events]) {
      this.#log[event.position - 1] = undefined;
      this.#byEventId.delete(event.eventId);
    }
    this.#archive.delete(streamId);
    this.#snapshots.delete(streamId);
    Object.assign(stream, {
      events: [],
      status: 'deleted',
      changedAt: timestamp,
      reason,
      archivedUpTo: 0,
      tombstone: marker,
    });
    this.#logTombstone(marker);
    return this.#status(streamId);
  }

  #importDeleted(
    streamId: string,
    streamType: string,
    version: number,
    tombstone: PreparedEvent,
    deletion: { readonly reason: string | undefined; readonly at: Date },
  ): StreamLifecycleInfo {
    if (!this.#streams.has(streamId)) {
      if (this.#byEventId.has(tombstone.eventId)) {
        throw new EventIdConflictError({ streamId, eventId: tombstone.eventId, problem: 'already stored' });
      }
      const marker = this.#placed(tombstone, streamId, streamType, version, 0, this.#clock());
      this.#streams.set(streamId, {
        streamType,
        events: [],
        status: 'deleted',
        changedAt: deletion.at,
        reason: deletion.reason,
        archivedUpTo: 0,
        tombstone: marker,
      });
      this.#logTombstone(marker);
    }
    return this.#status(streamId) as StreamLifecycleInfo;
  }

  async headPosition(): Promise<number> {
    return this.#log.length;
  }

  async loadSnapshot(streamId: string): Promise<StoredSnapshot | undefined> {
    const snapshot = this.#snapshots.get(streamId);
    return snapshot === undefined ? undefined : { ...snapshot, state: jsonCopy(snapshot.state) };
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    const existing = this.#snapshots.get(snapshot.streamId);
    if (existing !== undefined && existing.version > snapshot.version) return;
    this.#snapshots.set(snapshot.streamId, { ...snapshot, state: jsonCopy(snapshot.state) });
  }

  async deleteSnapshot(streamId: string): Promise<void> {
    this.#snapshots.delete(streamId);
  }

  async loadCheckpoint(consumerId: string): Promise<number | undefined> {
    return this.#checkpoints.get(consumerId);
  }

  async saveCheckpoint(
    consumerId: string,
    position: number,
    transaction?: InMemoryTransaction,
  ): Promise<void> {
    if (transaction instanceof MemoryUnitOfWork) {
      transaction.checkpoints.set(consumerId, position);
      return;
    }
    this.#checkpoints.set(consumerId, position);
  }

  async deleteCheckpoint(consumerId: string, transaction?: InMemoryTransaction): Promise<void> {
    if (transaction instanceof MemoryUnitOfWork) {
      transaction.checkpoints.set(consumerId, undefined);
      return;
    }
    this.#checkpoints.delete(consumerId);
  }

  transaction<T>(work: (transaction: InMemoryTransaction) => Promise<T>): Promise<T> {
    return this.#writeLock.run(() => this.#inTransaction(work));
  }

  onAppended(listener: (head: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

function versionOf(stream: StreamRecord): number {
  return stream.tombstone?.version ?? stream.archivedUpTo + stream.events.length;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
