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
  /**
   * Only events of streams with `partitionOf(streamId, count) === index`; `limit` counts those.
   * Honoured only by a storage with `partitionedReads`; others ignore it and the reader filters.
   */
  readonly partition?: { readonly index: number; readonly count: number };
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
