import type { StoredEvent } from '../../events/event.js';
import type { PreparedEvent, TransactionHook } from '../storage-records.js';

/**
 * Where a stream is in its life: `open` takes appends; `closed` refuses them (`STREAM_CLOSED`) and
 * may be archived whole; `deleted` holds only its tombstone (`STREAM_DELETED`).
 */
export type StreamStatus = 'open' | 'closed' | 'deleted';

/**
 * What a storage keeps of a stream's life (see {@link StreamLifecycle.status}).
 *
 * @example
 * ```ts
 * const info: StreamLifecycleInfo | undefined = await storage.lifecycle!.status('Order-o-1');
 * if (info?.status === 'closed') console.log(`closed at ${info.changedAt?.toISOString()}: ${info.reason}`);
 * ```
 */
export interface StreamLifecycleInfo {
  readonly streamId: string;
  readonly streamType: string;
  /** The stream's version; for a deleted stream, the version of its tombstone event. */
  readonly version: number;
  readonly status: StreamStatus;
  /** When the stream was closed or deleted; undefined while open. */
  readonly changedAt: Date | undefined;
  readonly reason: string | undefined;
  /** Versions up to this one live in the archive table (0: none). */
  readonly archivedUpTo: number;
}

/**
 * Closing, archiving and deleting streams: an optional capability of the port
 * (`EventStorage.lifecycle`). A storage with it refuses appends to closed streams with
 * `StreamClosedError` and to deleted ones with `StreamDeletedError`, checked inside the append
 * itself, so a concurrent append cannot slip past a close. Its reads (`readStream`, `readAll`)
 * read through the archive: archiving changes where events live, never what a read returns, so
 * positions stay put and no consumer skips or repeats an event because of it.
 *
 * @example
 * ```ts
 * const lifecycle = storage.lifecycle;
 * if (lifecycle) {
 *   await lifecycle.close('Order-o-1', { reason: 'fulfilled', at: new Date() });
 *   const moved = await lifecycle.archive('Order-o-1', 12);
 * }
 * ```
 */
export interface StreamLifecycle<Tx = unknown> {
  /**
   * Marks the stream closed (once: closing a closed stream keeps its first time and reason).
   * Undefined when the stream does not exist; throws `StreamDeletedError` for a deleted one.
   */
  close(
    streamId: string,
    closing: { readonly reason: string | undefined; readonly at: Date },
  ): Promise<StreamLifecycleInfo | undefined>;
  /**
   * In one transaction: appends `tombstone` (the `$StreamDeleted` event) after the stream's last
   * version, removes every other event of the stream (hot and archived) and its snapshot, and
   * marks the stream deleted with `reason`. Undefined when the stream does not exist; deleting a
   * deleted stream returns its status unchanged (and runs no hook). `hook` runs in that
   * transaction with the stored tombstone, as an append's does: the store's inline projections
   * hear of the deletion there, and a hook that throws rolls the deletion back.
   */
  delete(
    streamId: string,
    tombstone: PreparedEvent,
    reason: string | undefined,
    hook?: TransactionHook<Tx>,
  ): Promise<StreamLifecycleInfo | undefined>;
  /**
   * Records a stream that was deleted in another store (`hindsight import` of its tombstone):
   * creates it deleted, at `version`, holding only `tombstone` (kept with its `recordedAt`), which
   * takes a new position in the global log as a deletion's does. A stream that exists is left as
   * it is and its status returned.
   */
  importDeleted(
    streamId: string,
    streamType: string,
    version: number,
    tombstone: PreparedEvent,
    deletion: { readonly reason: string | undefined; readonly at: Date },
  ): Promise<StreamLifecycleInfo>;
  /** The stream's status; undefined when it does not exist. */
  status(streamId: string): Promise<StreamLifecycleInfo | undefined>;
  /**
   * Moves the stream's events up to version `upToVersion` (inclusive) out of the hot table into
   * the archive, in one transaction, and returns those moved (none twice: already archived ones are
   * skipped). The last event of the whole log always stays hot, so stores that derive the next
   * position from the table never hand a position out twice.
   */
  archive(streamId: string, upToVersion: number): Promise<readonly StoredEvent[]>;
}
