import { NotSupportedError } from '../errors/consumer-errors.js';
import { StreamNotFoundError } from '../errors/stream-lifecycle-errors.js';
import type { StoredEvent } from '../events/event.js';
import { checkStreamId } from '../internal/checks.js';
import type { StreamLifecycle, StreamLifecycleInfo } from './capabilities/stream-lifecycle.js';
import type { EventStorage, PreparedEvent, TransactionHook } from './event-storage.js';

/**
 * The type of the tombstone event `deleteStream` appends to a deleted stream, and so to the
 * global log: consumers handle it to drop what they keep of the stream (a projection's rows, say).
 *
 * @example
 * ```ts
 * for await (const event of store.readAll()) {
 *   if (event.type === streamDeletedType) await db.deleteRowsOf(event.streamId);
 * }
 * ```
 */
export const streamDeletedType = '$StreamDeleted';

/**
 * For storage adapters: the tombstone `lifecycle.delete` was given, as the stored event its
 * transaction hook gets, placed where the storage wrote it (payloads copied).
 *
 * @example
 * ```ts
 * await hook?.(transaction, [storedTombstone(tombstone, { streamId, streamType, version, position, timestamp })]);
 * ```
 */
export function storedTombstone(
  tombstone: PreparedEvent,
  placed: Pick<StoredEvent, 'streamId' | 'streamType' | 'version' | 'position' | 'timestamp'>,
): StoredEvent {
  return {
    eventId: tombstone.eventId,
    type: tombstone.type,
    ...placed,
    data: structuredClone(tombstone.data),
    metadata: structuredClone(tombstone.metadata),
  };
}

/**
 * The payload of a `$StreamDeleted` tombstone.
 *
 * @example
 * ```ts
 * const { deletedVersion } = event.data as StreamDeletedData;
 * ```
 */
export interface StreamDeletedData {
  /** The stream's last version before it was deleted: the versions whose events are gone. */
  readonly deletedVersion: number;
  readonly reason?: string;
}

/**
 * The tombstone's data when `event` is a `$StreamDeleted` tombstone, else undefined. Typed reads
 * type events as the store's own types, which a tombstone is not: this reads it from any of them.
 *
 * @example
 * ```ts
 * for await (const event of store.readAll()) {
 *   const tombstone = tombstoneOf(event);
 *   if (tombstone) await db.deleteRowsOf(event.streamId);
 * }
 * ```
 */
export function tombstoneOf(event: {
  readonly type: string;
  readonly data: unknown;
}): StreamDeletedData | undefined {
  return event.type === streamDeletedType ? (event.data as StreamDeletedData) : undefined;
}

/**
 * What a consumer's `onStreamDeleted` hook gets: which stream was deleted, up to which version,
 * why, and the tombstone event itself (its position, id and time).
 *
 * @example
 * ```ts
 * .onStreamDeleted(({ streamId, deletedVersion }, { transaction }) => rows.delete(streamId, transaction))
 * ```
 */
export interface StreamDeletion {
  readonly streamId: string;
  readonly streamType: string;
  /** The stream's last version before it was deleted: the versions whose events are gone. */
  readonly deletedVersion: number;
  readonly reason: string | undefined;
  readonly event: StoredEvent<typeof streamDeletedType, StreamDeletedData>;
}

/**
 * The deletion a `$StreamDeleted` tombstone records, else undefined: what `onStreamDeleted`
 * hooks get, read from any event.
 *
 * @example
 * ```ts
 * const deletion = streamDeletionOf(event);
 * if (deletion) console.log(`${deletion.streamId} deleted up to v${deletion.deletedVersion}`);
 * ```
 */
export function streamDeletionOf(event: StoredEvent): StreamDeletion | undefined {
  const tombstone = tombstoneOf(event);
  if (tombstone === undefined) return undefined;
  return {
    streamId: event.streamId,
    streamType: event.streamType,
    deletedVersion: tombstone.deletedVersion,
    reason: tombstone.reason,
    event: event as StoredEvent<typeof streamDeletedType, StreamDeletedData>,
  };
}

/** Options of `store.closeStream`. */
export interface CloseStreamOptions {
  /** Why, kept with the stream and shown by the CLI and the explorer. */
  readonly reason?: string;
}

/** Options of `store.deleteStream`. */
export interface DeleteStreamOptions {
  /** Why (a legal request's reference, say), kept with the tombstone. */
  readonly reason?: string;
}

/**
 * Which of a stream's events `archiveStream` moves: `'auto'` (default) all of a closed stream,
 * else those up to its snapshot; `'closed'` only a closed stream's; `'before-snapshot'` only
 * those up to the snapshot.
 */
export type ArchiveMode = 'auto' | 'closed' | 'before-snapshot';

/** What `archiveStream` did to one stream. */
export interface ArchiveResult {
  readonly streamId: string;
  /** The events moved by this call, in version order (e.g. to export as NDJSON). */
  readonly moved: readonly StoredEvent[];
  /** Versions up to this one are archived now (0: none). */
  readonly archivedUpTo: number;
}

/** Options of {@link archiveStreams}. */
export interface ArchiveStreamsOptions {
  /** Only these streams (default: every stream of the store). */
  readonly streamIds?: readonly string[];
  readonly mode?: ArchiveMode;
  /** Called after each stream with the running totals. */
  readonly onProgress?: (progress: ArchiveProgress) => void | Promise<void>;
  /** Called with each stream's moved events, before the next stream (e.g. to write NDJSON). */
  readonly onMoved?: (result: ArchiveResult) => void | Promise<void>;
}

/** Running totals of {@link archiveStreams}. */
export interface ArchiveProgress {
  readonly streamsDone: number;
  /** How many streams the run looks at: known up front for `streamIds`, else counted as it goes. */
  readonly streamsTotal: number | undefined;
  readonly eventsMoved: number;
}

/** The lifecycle capability of `storage`, or `NotSupportedError` naming what needs it. */
export function requireLifecycle<Tx>(storage: EventStorage<Tx>, feature: string): StreamLifecycle<Tx> {
  const { lifecycle } = storage;
  if (lifecycle === undefined) {
    throw new NotSupportedError({ feature, storage: storage.kind, missing: 'lifecycle' });
  }
  return lifecycle;
}

/**
 * Closes a stream: later appends fail with `StreamClosedError`, reads keep working, and the
 * stream may be archived whole. Closing a closed stream does nothing.
 *
 * @example
 * ```ts
 * await closeStream(store.storage, 'Order-o-1', { reason: 'fulfilled' });
 * ```
 */
export async function closeStream(
  storage: EventStorage<unknown>,
  streamId: string,
  options: CloseStreamOptions = {},
): Promise<StreamLifecycleInfo> {
  checkStreamId(streamId);
  const lifecycle = requireLifecycle(storage, `Closing stream "${streamId}"`);
  const info = await lifecycle.close(streamId, { reason: options.reason, at: new Date() });
  if (info === undefined) throw new StreamNotFoundError({ streamId, action: 'close' });
  return info;
}

/**
 * Deletes a stream's events where the law requires it, leaving a tombstone: the stream keeps its
 * row and gets one last event, `$StreamDeleted` (see {@link streamDeletedType}), which consumers
 * read from the global log to drop their own copies. Later appends fail with `StreamDeletedError`.
 * `inTransaction` runs in the deletion's transaction with the stored tombstone.
 *
 * @example
 * ```ts
 * await deleteStream(store.storage, 'Customer-c-7', { reason: 'erasure request #4411' });
 * ```
 */
export async function deleteStream<Tx>(
  storage: EventStorage<Tx>,
  streamId: string,
  options: DeleteStreamOptions = {},
  inTransaction?: TransactionHook<Tx>,
): Promise<StreamLifecycleInfo> {
  checkStreamId(streamId);
  const lifecycle = requireLifecycle(storage, `Deleting stream "${streamId}"`);
  const current = await lifecycle.status(streamId);
  if (current === undefined) throw new StreamNotFoundError({ streamId, action: 'delete' });
  if (current.status === 'deleted') return current;
  const data: StreamDeletedData =
    options.reason === undefined
      ? { deletedVersion: current.version }
      : { deletedVersion: current.version, reason: options.reason };
  const tombstone = { eventId: globalThis.crypto.randomUUID(), type: streamDeletedType, data, metadata: {} };
  const info = await lifecycle.delete(streamId, tombstone, options.reason, inTransaction);
  if (info === undefined) throw new StreamNotFoundError({ streamId, action: 'delete' });
  return info;
}

/**
 * Moves one stream's events out of the hot table (see {@link ArchiveMode}); they stay readable
 * through every read, time travel included.
 *
 * @example
 * ```ts
 * const { moved } = await archiveStream(store.storage, 'Order-o-1');
 * ```
 */
export async function archiveStream(
  storage: EventStorage<unknown>,
  streamId: string,
  mode: ArchiveMode = 'auto',
): Promise<ArchiveResult> {
  checkStreamId(streamId);
  const lifecycle = requireLifecycle(storage, `Archiving stream "${streamId}"`);
  const info = await lifecycle.status(streamId);
  if (info === undefined) throw new StreamNotFoundError({ streamId, action: 'archive' });
  const upTo = await archivableUpTo(storage, info, mode);
  if (upTo <= info.archivedUpTo) return { streamId, moved: [], archivedUpTo: info.archivedUpTo };
  const moved = await lifecycle.archive(streamId, upTo);
  const last = moved.at(-1)?.version ?? info.archivedUpTo;
  return { streamId, moved, archivedUpTo: Math.max(last, info.archivedUpTo) };
}

async function archivableUpTo(
  storage: EventStorage<unknown>,
  info: StreamLifecycleInfo,
  mode: ArchiveMode,
): Promise<number> {
  if (info.status === 'deleted') return 0;
  if (info.status === 'closed' && mode !== 'before-snapshot') return info.version;
  if (mode === 'closed') return 0;
  const snapshot = await storage.loadSnapshot(info.streamId);
  return snapshot === undefined ? 0 : Math.min(snapshot.version, info.version);
}

/**
 * Archives many streams (see {@link archiveStream}), reporting progress after each.
 *
 * @example
 * ```ts
 * const total = await archiveStreams(store.storage, {
 *   mode: 'closed',
 *   onProgress: ({ streamsDone, eventsMoved }) => console.error(`${streamsDone} streams, ${eventsMoved} events`),
 * });
 * ```
 */
export async function archiveStreams(
  storage: EventStorage<unknown>,
  options: ArchiveStreamsOptions = {},
): Promise<ArchiveProgress> {
  requireLifecycle(storage, 'Archiving streams');
  const mode = options.mode ?? 'auto';
  let progress: ArchiveProgress = {
    streamsDone: 0,
    streamsTotal: options.streamIds?.length,
    eventsMoved: 0,
  };
  for await (const streamId of streamIdsOf(storage, options.streamIds)) {
    const result = await archiveStream(storage, streamId, mode);
    if (result.moved.length > 0) await options.onMoved?.(result);
    progress = {
      ...progress,
      streamsDone: progress.streamsDone + 1,
      eventsMoved: progress.eventsMoved + result.moved.length,
    };
    await options.onProgress?.(progress);
  }
  return progress;
}

async function* streamIdsOf(
  storage: EventStorage<unknown>,
  streamIds: readonly string[] | undefined,
): AsyncGenerator<string> {
  if (streamIds !== undefined) {
    yield* streamIds;
    return;
  }
  const { admin } = storage;
  if (admin === undefined) {
    throw new NotSupportedError({
      feature: 'Archiving every stream',
      storage: storage.kind,
      missing: 'admin',
    });
  }
  let after: string | undefined;
  for (;;) {
    const page = await admin.listStreams({ limit: 200, ...(after === undefined ? {} : { after }) });
    for (const stream of page) yield stream.streamId;
    if (page.length < 200) return;
    after = page.at(-1)?.streamId;
  }
}
