/**
 * Metadata stored with every event. The three well-known ids are optional strings; any other field
 * is yours and must be plain JSON.
 */
export interface EventMetadata {
  /** Who caused the event (user, service, job). */
  readonly actorId?: string;
  /** Ties together everything caused by one original request. */
  readonly correlationId?: string;
  /** The id of the event or command that directly caused this one. */
  readonly causationId?: string;
  readonly [field: string]: unknown;
}

/** An event as you write it: a type, its payload and optional id and metadata. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  /** A UUID. Appending an event id that is already stored is idempotent (the retry is a no-op). */
  readonly eventId?: string;
  readonly metadata?: EventMetadata;
}

/**
 * An event as stored: the envelope every read returns.
 *
 * @example
 * ```ts
 * for await (const event of store.readAll()) console.log(event.position, event.type, event.data);
 * ```
 */
export interface StoredEvent<Type extends string = string, Data = unknown> {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamType: string;
  readonly type: Type;
  /** Position in its stream: 1, 2, 3… without gaps. */
  readonly version: number;
  /** Position in the whole store: strictly increasing, in commit order. */
  readonly position: number;
  /** When the store recorded the event. */
  readonly timestamp: Date;
  readonly data: Data;
  readonly metadata: EventMetadata;
}
