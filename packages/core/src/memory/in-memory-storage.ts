import { LeaseLostError } from '../errors/consumer-errors.js';
import { StreamTypeMismatchError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { Mutex } from '../internal/mutex.js';
import { checkExpectedVersionMatches, findAlreadyStored } from '../streams/append-rules.js';
import type {
  AppendRequest,
  AppendResult,
  DocumentQuery,
  EventStorage,
  GlobalPageQuery,
  StorageStats,
  StoredCheckpoint,
  StoredDocument,
  StoredLease,
  StoredSnapshot,
  StreamInfo,
  StreamListQuery,
  StreamPageQuery,
  TransactionHook,
} from '../streams/event-storage.js';

/**
 * The unit of work inline handlers get from the in-memory store. Memory has no rollback of its
 * own, so a handler that changes an in-memory read model registers how to undo it.
 */
export interface InMemoryTransaction {
  /** Called (newest first) if the transaction fails after this handler's change. */
  onRollback(undo: () => void): void;
}

/** Options of {@link createInMemoryStorage}. */
export interface InMemoryStorageOptions {
  /** The clock stamping events and snapshots; inject one to test time travel. */
  readonly clock?: () => Date;
}

/** Marks a document deleted inside a unit of work that has not committed yet. */
const deleted = Symbol('deleted');

class MemoryUnitOfWork implements InMemoryTransaction {
  /** undefined: deleted. */
  readonly checkpoints = new Map<string, number | undefined>();
  /** Document writes by collection, applied on commit only. */
  readonly documents = new Map<string, Map<string, unknown>>();
  readonly #undo: (() => void)[] = [];

  onRollback(undo: () => void): void {
    this.#undo.push(undo);
  }

  rollback(): void {
    for (const step of this.#undo.reverse()) step();
  }
}

interface StreamRecord {
  readonly streamType: string;
  readonly events: StoredEvent[];
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
  readonly #log: StoredEvent[] = [];
  readonly #streams = new Map<string, StreamRecord>();
  readonly #byEventId = new Map<string, StoredEvent>();
  readonly #snapshots = new Map<string, StoredSnapshot>();
  readonly #checkpoints = new Map<string, number>();
  readonly #documents = new Map<string, Map<string, unknown>>();
  readonly #listeners = new Set<(head: number) => void>();
  readonly #leases = new Map<string, { readonly owner: string; readonly expiresAt: number }>();
  // Appends and transactions run one at a time, so a transaction hook sees a stable store.
  readonly #writeLock = new Mutex();
  readonly #clock: () => Date;

  constructor(clock: () => Date) {
    this.#clock = clock;
  }

  append(request: AppendRequest, hook?: TransactionHook<InMemoryTransaction>): Promise<AppendResult> {
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
      const current = stream?.events.length ?? 0;
      checkExpectedVersionMatches(request.streamId, request.expectedVersion, current);
      const timestamp = this.#clock();
      const stored = request.events.map(
        (event, index): StoredEvent =>
          deepFreeze({
            eventId: event.eventId,
            streamId: request.streamId,
            streamType: request.streamType,
            type: event.type,
            version: current + index + 1,
            position: this.#log.length + index + 1,
            timestamp: new Date(event.recordedAt ?? timestamp),
            data: jsonCopy(event.data),
            metadata: jsonCopy(event.metadata),
          }),
      );
      await this.#runHook(hook, stored);
      this.#commit(request, stored);
      return this.#result(request.streamId, stored, false);
    });
  }

  #commit(request: AppendRequest, stored: StoredEvent[]): void {
    const stream = this.#streams.get(request.streamId) ?? { streamType: request.streamType, events: [] };
    this.#streams.set(request.streamId, stream);
    for (const event of stored) {
      stream.events.push(event);
      this.#log.push(event);
      this.#byEventId.set(event.eventId, event);
    }
    const head = this.#log.length;
    for (const listener of this.#listeners) {
      // The append has committed: a failing listener must not turn it into an error for the writer.
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
      for (const [collection, writes] of unit.documents) {
        for (const [key, value] of writes) this.#writeDocument(collection, key, value);
      }
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
    const events = this.#streams.get(streamId)?.events ?? [];
    const min = Math.max(query.minVersion ?? 1, 1);
    const max = Math.min(query.maxVersion ?? events.length, events.length);
    const page: StoredEvent[] = [];
    const step = query.direction === 'forward' ? 1 : -1;
    for (let version = step === 1 ? min : max; version >= min && version <= max; version += step) {
      const event = events[version - 1];
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
    for (let index = query.after; index < end && page.length < query.limit; index += 1) {
      const event = this.#log[index];
      if (event === undefined) break;
      if (query.types !== undefined && !query.types.includes(event.type)) continue;
      if (query.streamTypes !== undefined && !query.streamTypes.includes(event.streamType)) continue;
      page.push(event);
    }
    return page;
  }

  async streamInfo(streamId: string): Promise<StreamInfo | undefined> {
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    return { streamId, streamType: stream.streamType, version: stream.events.length };
  }

  async headPosition(): Promise<number> {
    return this.#log.length;
  }

  async listStreams(query: StreamListQuery): Promise<readonly StreamInfo[]> {
    const page: StreamInfo[] = [];
    for (const streamId of [...this.#streams.keys()].sort(compareCodePoints)) {
      if (page.length >= query.limit) break;
      if (query.after !== undefined && compareCodePoints(streamId, query.after) <= 0) continue;
      const stream = this.#streams.get(streamId);
      if (stream === undefined || (query.streamType !== undefined && stream.streamType !== query.streamType))
        continue;
      page.push({ streamId, streamType: stream.streamType, version: stream.events.length });
    }
    return page;
  }

  async listCheckpoints(): Promise<readonly StoredCheckpoint[]> {
    return [...this.#checkpoints.keys()]
      .sort(compareCodePoints)
      .map((consumerId) => ({ consumerId, position: this.#checkpoints.get(consumerId) ?? 0 }));
  }

  async stats(): Promise<StorageStats> {
    return { streams: this.#streams.size, events: this.#log.length };
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

  async getDocument(
    collection: string,
    key: string,
    transaction?: InMemoryTransaction,
  ): Promise<StoredDocument | undefined> {
    const pending =
      transaction instanceof MemoryUnitOfWork ? transaction.documents.get(collection) : undefined;
    const value = pending?.has(key) ? pending.get(key) : this.#documents.get(collection)?.get(key);
    return value === undefined || value === deleted ? undefined : { key, value: jsonCopy(value) };
  }

  async putDocument(
    collection: string,
    key: string,
    value: unknown,
    transaction?: InMemoryTransaction,
  ): Promise<void> {
    this.#stageDocument(collection, key, jsonCopy(value), transaction);
  }

  async deleteDocument(collection: string, key: string, transaction?: InMemoryTransaction): Promise<void> {
    this.#stageDocument(collection, key, deleted, transaction);
  }

  async listDocuments(
    collection: string,
    query: DocumentQuery,
    transaction?: InMemoryTransaction,
  ): Promise<readonly StoredDocument[]> {
    const merged = new Map(this.#documents.get(collection));
    if (transaction instanceof MemoryUnitOfWork) {
      for (const [key, value] of transaction.documents.get(collection) ?? []) merged.set(key, value);
    }
    const page: StoredDocument[] = [];
    const keys = [...merged.keys()].sort(compareCodePoints);
    for (const key of keys) {
      if (page.length >= query.limit) break;
      if (query.after !== undefined && compareCodePoints(key, query.after) <= 0) continue;
      if (query.upTo !== undefined && compareCodePoints(key, query.upTo) > 0) break;
      const value = merged.get(key);
      if (value !== deleted) page.push({ key, value: jsonCopy(value) });
    }
    return page;
  }

  #stageDocument(
    collection: string,
    key: string,
    value: unknown,
    transaction: InMemoryTransaction | undefined,
  ): void {
    if (!(transaction instanceof MemoryUnitOfWork)) {
      this.#writeDocument(collection, key, value);
      return;
    }
    const writes = transaction.documents.get(collection) ?? new Map<string, unknown>();
    transaction.documents.set(collection, writes);
    writes.set(key, value);
  }

  #writeDocument(collection: string, key: string, value: unknown): void {
    const documents = this.#documents.get(collection) ?? new Map<string, unknown>();
    this.#documents.set(collection, documents);
    if (value === deleted) documents.delete(key);
    else documents.set(key, value);
  }

  transaction<T>(work: (transaction: InMemoryTransaction) => Promise<T>): Promise<T> {
    return this.#writeLock.run(() => this.#inTransaction(work));
  }

  // Leases take the write lock, so a transaction that passed the fence commits before any takeover.
  // They run on the wall clock, not the injected one: a frozen test clock must not freeze them.
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#writeLock.run(async () => {
      const now = Date.now();
      const lease = this.#leases.get(name);
      if (lease !== undefined && lease.owner !== owner && lease.expiresAt > now) return false;
      this.#leases.set(name, { owner, expiresAt: now + ttlMs });
      return true;
    });
  }

  releaseLease(name: string, owner: string): Promise<void> {
    return this.#writeLock.run(async () => {
      if (this.#leases.get(name)?.owner === owner) this.#leases.delete(name);
    });
  }

  async assertLease(name: string, owner: string, _transaction: InMemoryTransaction): Promise<void> {
    const lease = this.#leases.get(name);
    if (lease === undefined || lease.owner !== owner || lease.expiresAt <= Date.now()) {
      throw new LeaseLostError({ lease: name, owner });
    }
  }

  async readLease(name: string): Promise<StoredLease | undefined> {
    const lease = this.#leases.get(name);
    return lease === undefined
      ? undefined
      : { name, owner: lease.owner, expiresAt: new Date(lease.expiresAt) };
  }

  onAppended(listener: (head: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

/**
 * Orders by Unicode code point, which is UTF-8 byte order: what SQLite and PostgreSQL (`COLLATE "C"`)
 * do. Plain `<` compares UTF-16 code units, which disagrees for characters beyond U+FFFF.
 */
function compareCodePoints(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const difference = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
}

function jsonCopy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
