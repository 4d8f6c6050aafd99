import { NotSupportedError } from '../errors/consumer-errors.js';
import { HindsightError, StreamTypeMismatchError } from '../errors/hindsight-error.js';
import type { EventMetadata, StoredEvent } from '../events/event.js';
import type {
  EventCatalog,
  NewEventOf,
  SchemasOf,
  StoredEventOf,
  StreamTypesOf,
} from '../events/event-catalog.js';
import type { Instrumentation } from '../instrumentation/instrumentation.js';
import { noopInstrumentation } from '../instrumentation/instrumentation.js';
import { checkDate, checkExpectedVersion, checkStreamId, checkVersion } from '../internal/checks.js';
import { requireDocuments } from '../internal/documents.js';
import { EventRegistry } from '../internal/event-registry.js';
import { type ForgetResult, forgetSubject, personalDataStream } from '../personal/forget-subject.js';
import { personalFieldsOf } from '../personal/personal-data.js';
import {
  PersonalDataGuard,
  type PersonalDataOptions,
  recordSubjectStreams,
  subjectField,
} from '../personal/personal-data-guard.js';
import { createDocumentKeyStore, type SubjectKeyStore } from '../personal/subject-keys.js';
import { checkExpectedVersionMatches } from './append-rules.js';
import { EventReader } from './event-reader.js';
import type {
  AppendRequest,
  AppendResult,
  EventStorage,
  ExpectedVersion,
  PreparedEvent,
  StreamInfo,
  StreamLifecycleInfo,
  TransactionHook,
} from './event-storage.js';
import {
  type ArchiveMode,
  type ArchiveResult,
  archiveStream,
  type CloseStreamOptions,
  closeStream,
  type DeleteStreamOptions,
  deleteStream,
  requireLifecycle,
} from './stream-lifecycle.js';

/** Options of {@link createEventStore}. */
export interface EventStoreOptions<Catalogs extends readonly EventCatalog[], Tx> {
  /** Where events live: `createInMemoryStorage()`, a SQLite or PostgreSQL storage. */
  readonly storage: EventStorage<Tx>;
  /** Aggregates and stream types whose events this store accepts. */
  readonly events: Catalogs;
  /** The largest event (payload + metadata as JSON, in bytes) accepted. Default 1 MiB. */
  readonly maxEventBytes?: number;
  /**
   * Projections run inside every append's transaction, in order, before the append's own
   * `inTransaction` hook: the events and these read-model changes commit together, and a throwing
   * projection rolls the whole append back (see `defineProjection`).
   */
  readonly inline?: readonly InlineProjection<Tx>[];
  /**
   * Checks every event read against its type's current schema, after upcasting (default true): a
   * stored event that does not fit throws `StoredEventInvalidError` instead of reaching handlers
   * in the wrong shape. Turn it off for hot read paths whose data you trust; upcasting still runs.
   */
  readonly validateOnRead?: boolean;
  /**
   * Where spans and metrics go (e.g. `createOpenTelemetryInstrumentation()` of
   * `@hindsight/opentelemetry`); repositories and consumers built on this store use it too. Appends
   * store the current trace context in each event's metadata (`traceparent`, `tracestate`). Default:
   * none, at no cost.
   */
  readonly instrumentation?: Instrumentation;
  /**
   * Crypto-shredding of personal data: where subject keys live and what `forget` must also erase.
   * Fields marked with `personal()` are encrypted whether or not this is given; give it to choose
   * the key store or add `onForget` hooks, or to decrypt in a store whose definitions mark none.
   */
  readonly personalData?: PersonalDataOptions<Tx>;
}

/**
 * Work an event store runs inside each append's transaction; projection definitions are one.
 *
 * @example
 * ```ts
 * const store = createEventStore({ storage, events: [Order], inline: [OrderSummaries] });
 * ```
 */
export interface InlineProjection<Tx> {
  readonly name: string;
  /** Called after the events are written and before they commit; throwing rolls them back. */
  applyInline(storage: EventStorage<Tx>, transaction: Tx, events: readonly StoredEvent[]): Promise<void>;
}

/** Options of {@link EventStore.append}. */
export interface AppendOptions<StreamType extends string, Tx, Event = StoredEvent> {
  readonly streamType: StreamType;
  /** Default `'any'`. */
  readonly expectedVersion?: ExpectedVersion;
  /** Metadata merged into every event of the append (an event's own metadata wins). */
  readonly metadata?: EventMetadata;
  /** Extra work inside the append's transaction (e.g. updating a read model atomically). */
  readonly inTransaction?: TransactionHook<Tx, Event>;
}

/** Options of {@link EventStore.readStream}. */
export interface ReadStreamOptions {
  readonly direction?: 'forward' | 'backward';
  /** Inclusive lower bound (default 1). */
  readonly fromVersion?: number;
  /** Inclusive upper bound (default: the last event). */
  readonly toVersion?: number;
  /** Only events recorded at or before this instant: the stream as it was then. */
  readonly until?: Date;
  /** Events fetched per round trip (default 500). Memory stays bounded by it. */
  readonly pageSize?: number;
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions<Type extends string, StreamType extends string> {
  /** Start after this global position (default 0: the beginning). */
  readonly after?: number;
  /** Stop at this global position (inclusive). */
  readonly upTo?: number;
  readonly types?: readonly Type[];
  readonly streamTypes?: readonly StreamType[];
  /** Events fetched per round trip (default 500). Memory stays bounded by it. */
  readonly pageSize?: number;
}

/** Typed access to a store: validated appends and streaming reads. */
export interface EventStore<
  Catalogs extends readonly EventCatalog[] = readonly EventCatalog[],
  Tx = unknown,
> {
  readonly storage: EventStorage<Tx>;
  readonly catalogs: Catalogs;
  /**
   * The read gate every read of this store goes through (its own reads, aggregates, consumers):
   * decodes stored events with the store's definitions, upcasting and validating them.
   */
  readonly reader: EventReader;
  /** The store's instrumentation ({@link noopInstrumentation} when none was given). */
  readonly instrumentation: Instrumentation;
  /**
   * Validates and appends events to one stream atomically.
   *
   * @example
   * ```ts
   * await store.append('order-1', [{ type: 'OrderCreated', data: { items, total: 10 } }], {
   *   streamType: 'Order', expectedVersion: 'no_stream',
   * });
   * ```
   */
  append(
    streamId: string,
    events: readonly NewEventOf<SchemasOf<Catalogs>>[],
    options: AppendOptions<StreamTypesOf<Catalogs>, Tx, StoredEventOf<SchemasOf<Catalogs>>>,
  ): Promise<
    Omit<AppendResult, 'events'> & { readonly events: readonly StoredEventOf<SchemasOf<Catalogs>>[] }
  >;
  /** Streams one stream's events, page by page. */
  readStream(
    streamId: string,
    options?: ReadStreamOptions,
  ): AsyncIterable<StoredEventOf<SchemasOf<Catalogs>>>;
  /**
   * Streams the global log in position order, page by page. Given `types`, the events are typed
   * as those types only.
   *
   * @example
   * ```ts
   * for await (const paid of store.readAll({ types: ['OrderPaid'] })) total += paid.data.amount;
   * ```
   */
  readAll<const Type extends keyof SchemasOf<Catalogs> & string = keyof SchemasOf<Catalogs> & string>(
    options?: ReadAllOptions<Type, StreamTypesOf<Catalogs>>,
  ): AsyncIterable<StoredEventOf<Pick<SchemasOf<Catalogs>, Type>>>;
  streamInfo(streamId: string): Promise<StreamInfo | undefined>;
  headPosition(): Promise<number>;
  /**
   * Validates events against their schemas and prepares them for storage (ids, metadata), without
   * writing. With {@link EventStore.appendPrepared}, for code that must see validated payloads before
   * appending them (aggregate repositories, importers).
   */
  prepare(
    streamId: string,
    streamType: StreamTypesOf<Catalogs>,
    events: readonly NewEventOf<SchemasOf<Catalogs>>[],
    metadata?: EventMetadata,
  ): Promise<PreparedEvent[]>;
  /** Appends events returned by {@link EventStore.prepare}. */
  appendPrepared(request: AppendRequest, inTransaction?: TransactionHook<Tx>): Promise<AppendResult>;
  /**
   * Adds a catalog after creation, explicitly: the store accepts only the stream types it was
   * given, and a repository of an aggregate it does not know is refused.
   */
  register(catalog: EventCatalog): void;
  /** Whether the store was given `catalog` (its stream type, with the same schemas). */
  knows(catalog: EventCatalog): boolean;
  /**
   * Deletes a consumer's checkpoint, so that it starts again as if new (from the beginning, or
   * from its `startFrom`) the next time it starts. Stop the consumer first. The id is
   * `<kind>:<name>` (see `consumerCheckpointId`), e.g. `subscription:audit-log` or
   * `listener:<name>`; `storage.admin.listCheckpoints()` lists them.
   *
   * @example
   * ```ts
   * await audit.stop();
   * await store.deleteCheckpoint('subscription:audit-log');
   * await audit.start(); // handles the whole log again
   * ```
   */
  deleteCheckpoint(consumerId: string): Promise<void>;
  /**
   * Forgets a data subject (crypto-shredding): deletes its keys, so its personal fields read as
   * `Forgotten` placeholders everywhere while events, versions and positions stay; drops the
   * snapshots of streams holding its events; appends a `$SubjectForgotten` event (ids only) to the
   * `$personal-data` stream, so projections and listeners with an `onForget` hook erase their
   * copies, in any process and on rebuilds (inline projections in this append's transaction);
   * runs the `personalData.onForget` hooks of this store. Safe to retry.
   *
   * @example
   * ```ts
   * await store.forget('c-1');
   * const order = await orders.load('Order-o1'); // still loads; the customer's name reads as Forgotten
   * ```
   */
  forget(subjectId: string): Promise<ForgetResult>;
  /**
   * Closes a stream: later appends (and commands) fail with `StreamClosedError`; reads go on.
   * Needs a storage with the `lifecycle` capability (see `closeStream`).
   *
   * @example
   * ```ts
   * await store.closeStream('Order-o-1', { reason: 'fulfilled' });
   * ```
   */
  closeStream(streamId: string, options?: CloseStreamOptions): Promise<StreamLifecycleInfo>;
  /**
   * Deletes a stream's events, leaving a `$StreamDeleted` tombstone (see `deleteStream`). Inline
   * projections' `onStreamDeleted` hooks run in the deletion's transaction (throwing undoes it);
   * async consumers hear of it when the tombstone reaches them.
   *
   * @example
   * ```ts
   * await store.deleteStream('Customer-c-7', { reason: 'erasure request #4411' });
   * ```
   */
  deleteStream(streamId: string, options?: DeleteStreamOptions): Promise<StreamLifecycleInfo>;
  /**
   * Moves a stream's events out of the hot table: all of a closed stream, else those up to its
   * snapshot (see `archiveStream`). Reads still return them.
   *
   * @example
   * ```ts
   * const { moved } = await store.archiveStream('Order-o-1');
   * ```
   */
  archiveStream(streamId: string, mode?: ArchiveMode): Promise<ArchiveResult>;
  /**
   * A stream's status (open, closed or deleted) and how much of it is archived; undefined when it
   * does not exist.
   *
   * @example
   * ```ts
   * if ((await store.streamStatus('Order-o-1'))?.status === 'closed') console.log('read only');
   * ```
   */
  streamStatus(streamId: string): Promise<StreamLifecycleInfo | undefined>;
  close(): Promise<void>;
}

/**
 * What consumers created from a store need of it: its storage and, to read events in their current
 * shape, its read gate (without one, events are read exactly as stored).
 *
 * @example
 * ```ts
 * const runner = createProjectionRunner(store satisfies ReadableStore<unknown>, OrderSummaries);
 * ```
 */
export type ReadableStore<Tx> = Pick<EventStore<readonly EventCatalog[], Tx>, 'storage'> &
  Partial<Pick<EventStore<readonly EventCatalog[], Tx>, 'reader' | 'instrumentation'>>;

const defaultMaxEventBytes = 1024 * 1024;

/**
 * Creates a typed event store over a storage adapter.
 *
 * @example
 * ```ts
 * const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
 * for await (const event of store.readStream('Order-o1')) console.log(event.type);
 * ```
 */
export function createEventStore<const Catalogs extends readonly EventCatalog[], Tx>(
  options: EventStoreOptions<Catalogs, Tx>,
): EventStore<Catalogs, Tx> {
  const maxEventBytes = options.maxEventBytes ?? defaultMaxEventBytes;
  checkVersion('maxEventBytes', maxEventBytes, 1);
  const registry = new EventRegistry(options.events, maxEventBytes);
  const { storage } = options;
  const personalData = options.personalData;
  let keys: SubjectKeyStore | undefined = personalData?.keys;
  const guard = new PersonalDataGuard(
    () => (keys ??= createDocumentKeyStore(requireDocuments(storage, 'Personal data'))),
    personalData?.keyCacheMs ?? 60_000,
  );
  // Only a store that knows personal data decrypts: one without (an export) reads envelopes as stored.
  let personalKnown = personalData !== undefined || options.events.some(declaresPersonalData);
  const reader = new EventReader(registry, {
    validate: options.validateOnRead ?? true,
    personal: () => (personalKnown ? guard : undefined),
  });
  const subjectStreamsSeen = new Set<string>();
  const inline = options.inline ?? [];
  const instrumentation = options.instrumentation ?? noopInstrumentation;
  const appended = instrumentation.counter('hindsight.events.appended', 'Events appended to the store');
  let closed = false;

  const appendPrepared = async (
    plainRequest: AppendRequest,
    inTransaction: TransactionHook<Tx> | undefined,
  ): Promise<AppendResult> => {
    ensureOpen();
    checkStreamId(plainRequest.streamId);
    checkExpectedVersion(plainRequest.expectedVersion);
    for (const event of plainRequest.events) {
      if (event.recordedAt !== undefined) checkDate('recordedAt', event.recordedAt);
    }
    if (plainRequest.events.length === 0) {
      return emptyAppend(
        storage,
        plainRequest.streamId,
        plainRequest.streamType,
        plainRequest.expectedVersion,
      );
    }
    // Prepared events stay plaintext (repositories fold state from them); personal fields are
    // encrypted here, last, so that nothing else is written in the clear. Envelopes stay as they are.
    const request = personalKnown
      ? {
          ...plainRequest,
          events: await guard.encrypt(plainRequest.streamId, plainRequest.events, (type) =>
            registry.schemaOf(plainRequest.streamType, type),
          ),
        }
      : plainRequest;
    // Streams holding a subject's events are recorded with them, so forget finds their snapshots.
    const { documents } = storage;
    const tracks =
      documents !== undefined && request.events.some((event) => event.metadata[subjectField] !== undefined);
    let tracked: string[] = [];
    // Appended events come back as stored: hooks, projections and callers get them decrypted.
    const decrypts =
      personalKnown && request.events.some((event) => event.metadata[subjectField] !== undefined);
    const hook: TransactionHook<Tx> | undefined =
      inline.length === 0 && !tracks && !(decrypts && inTransaction !== undefined)
        ? inTransaction
        : async (transaction, stored) => {
            const events = decrypts ? await guard.decrypt(stored) : stored;
            if (tracks && documents !== undefined) {
              tracked = await recordSubjectStreams(
                documents,
                transaction,
                request.streamId,
                request.events,
                subjectStreamsSeen,
              );
            }
            for (const projection of inline) await projection.applyInline(storage, transaction, events);
            await inTransaction?.(transaction, events);
          };
    const appendedResult = await storage.append(request, hook);
    for (const key of tracked) subjectStreamsSeen.add(key);
    const result = decrypts
      ? { ...appendedResult, events: await guard.decrypt(appendedResult.events) }
      : appendedResult;
    if (!result.alreadyStored) {
      appended.add(result.events.length, { 'hindsight.stream_type': request.streamType });
    }
    return result;
  };

  // One span per append, whether the events come prepared (repositories) or not.
  const appendSpan = <T extends AppendResult>(
    streamId: string,
    streamType: string,
    count: number,
    work: () => Promise<T>,
  ): Promise<T> =>
    instrumentation.span(
      'hindsight.append',
      {
        attributes: {
          'hindsight.stream_id': streamId,
          'hindsight.stream_type': streamType,
          'hindsight.event_count': count,
        },
      },
      async (span) => {
        const result = await work();
        span.setAttributes({
          'hindsight.version': result.version,
          'hindsight.already_stored': result.alreadyStored,
        });
        return result;
      },
    );

  const ensureOpen = (): void => {
    if (closed) throw new HindsightError('STORE_CLOSED', 'The event store is closed');
  };

  return {
    storage,
    catalogs: options.events,
    reader,
    instrumentation,

    async append(streamId, events, appendOptions) {
      const { streamType } = appendOptions;
      const result = await appendSpan(streamId, streamType, events.length, async () => {
        const prepared = await this.prepare(streamId, streamType, events, appendOptions.metadata);
        const request = {
          streamId,
          streamType,
          // Only an absent option means 'any': `??` would also turn a stray null into 'any' and
          // silently drop the concurrency check, where checkExpectedVersion refuses it.
          expectedVersion:
            appendOptions.expectedVersion === undefined ? 'any' : appendOptions.expectedVersion,
          events: prepared,
        };
        return appendPrepared(request, appendOptions.inTransaction as TransactionHook<Tx> | undefined);
      });
      // Omit first: intersecting both `events` array types typed `.map` and `for of` items as plain StoredEvent.
      return result as Omit<AppendResult, 'events'> & {
        events: readonly StoredEventOf<SchemasOf<Catalogs>>[];
      };
    },

    prepare(streamId, streamType, events, metadata) {
      ensureOpen();
      checkStreamId(streamId);
      // The span the events come from, so a consumer handling them can link back to it; trace
      // context already in the metadata (a repository's command span) wins.
      const trace = metadata?.traceparent === undefined ? instrumentation.traceContext() : undefined;
      return registry.prepare(
        streamId,
        streamType,
        events,
        trace === undefined ? metadata : { ...trace, ...metadata },
      );
    },

    appendPrepared(request, inTransaction) {
      return appendSpan(request.streamId, request.streamType, request.events.length, () =>
        appendPrepared(request, inTransaction),
      );
    },

    readStream(streamId, readOptions = {}) {
      ensureOpen();
      checkStreamId(streamId);
      return reader.readStream(storage, streamId, readOptions) as AsyncIterable<
        StoredEventOf<SchemasOf<Catalogs>>
      >;
    },

    readAll(readOptions = {}) {
      ensureOpen();
      return reader.readAll(storage, readOptions) as AsyncIterable<never>;
    },

    streamInfo(streamId) {
      ensureOpen();
      checkStreamId(streamId);
      return storage.streamInfo(streamId);
    },

    headPosition() {
      ensureOpen();
      return storage.headPosition();
    },

    register(catalog) {
      registry.register(catalog);
      personalKnown ||= declaresPersonalData(catalog);
    },
    knows(catalog) {
      return registry.knowsCatalog(catalog);
    },

    async deleteCheckpoint(consumerId) {
      ensureOpen();
      if (storage.deleteCheckpoint === undefined) {
        throw new NotSupportedError({
          feature: `Deleting checkpoint "${consumerId}"`,
          storage: storage.kind,
          missing: 'deleteCheckpoint',
        });
      }
      return storage.deleteCheckpoint(consumerId);
    },

    forget(subjectId) {
      ensureOpen();
      // Through the store's own append, so inline projections' onForget hooks commit with it.
      return forgetSubject(storage, guard, subjectId, personalData?.onForget ?? [], (event) =>
        appendPrepared(
          {
            streamId: personalDataStream,
            streamType: personalDataStream,
            expectedVersion: 'any',
            events: [event],
          },
          undefined,
        ),
      );
    },

    closeStream(streamId, closeOptions) {
      ensureOpen();
      return closeStream(storage, streamId, closeOptions);
    },

    deleteStream(streamId, deleteOptions) {
      ensureOpen();
      // Inline projections hear of the deletion in its transaction, as of an append.
      const hook: TransactionHook<Tx> | undefined =
        inline.length === 0
          ? undefined
          : async (transaction, tombstone) => {
              for (const projection of inline) await projection.applyInline(storage, transaction, tombstone);
            };
      return deleteStream(storage, streamId, deleteOptions, hook);
    },

    archiveStream(streamId, mode) {
      ensureOpen();
      return archiveStream(storage, streamId, mode);
    },

    async streamStatus(streamId) {
      ensureOpen();
      checkStreamId(streamId);
      return requireLifecycle(storage, `Reading the status of stream "${streamId}"`).status(streamId);
    },

    async close() {
      if (closed) return;
      closed = true;
      await storage.close();
    },
  };
}

async function emptyAppend(
  storage: EventStorage<unknown>,
  streamId: string,
  streamType: string,
  expectedVersion: ExpectedVersion,
): Promise<AppendResult & { events: never[] }> {
  const info = await storage.streamInfo(streamId);
  if (info !== undefined && info.streamType !== streamType) {
    throw new StreamTypeMismatchError({ streamId, expectedType: streamType, actualType: info.streamType });
  }
  checkExpectedVersionMatches(streamId, expectedVersion, info?.version ?? 0);
  return { streamId, version: info?.version ?? 0, position: 0, events: [], alreadyStored: false };
}

function declaresPersonalData(catalog: EventCatalog): boolean {
  return Object.values(catalog.schemas).some((schema) => personalFieldsOf(schema) !== undefined);
}
