import {
  EventIdConflictError,
  EventValidationError,
  HindsightError,
  PayloadNotSerializableError,
  PayloadTooLargeError,
  StoredEventInvalidError,
  UnknownEventTypeError,
} from '../errors/hindsight-error.js';
import type { EventMetadata, NewEvent, StoredEvent } from '../events/event.js';
import type { EventCatalog, RetiredEvent } from '../events/event-catalog.js';
import { type SchemaVersion, schemaHistory, schemaVersionField } from '../events/evolving-schema.js';
import type { StandardIssue, StandardResult, StandardSchemaV1 } from '../events/standard-schema.js';
import { isForgottenPath } from '../personal/personal-data-guard.js';
import type { PreparedEvent } from '../streams/event-storage.js';
import {
  checkEventId,
  checkMetadata,
  findNonJson,
  isPlainObject,
  type JsonLengthBound,
  joinPath,
} from './checks.js';

const encoder = new TextEncoder();

/** How stored events of one type read: as `type`, lifted through `versions` to the last. */
interface TypeReading {
  readonly type: string;
  readonly versions: readonly SchemaVersion[];
  readonly current: SchemaVersion;
}

/** How the stored events of one stream type read. */
interface CatalogReading {
  /** Current types and renamed ones, by stored name. */
  readonly types: ReadonlyMap<string, TypeReading>;
  /** Retired types split into current events, by stored name. */
  readonly splits: ReadonlyMap<string, Extract<RetiredEvent, (...args: never[]) => unknown>>;
  /** Stored names read as each current type (renames), and every split name. */
  readonly storedNames: ReadonlyMap<string, readonly string[]>;
}

/** A decoded event: itself when nothing changed, or what it reads as (several after a split). */
type Decoded = StoredEvent | readonly StoredEvent[];

/**
 * The catalogs a store knows, keyed by stream type: validates and prepares events for storage, and
 * decodes stored events (upcasting, validation on read) for the read gate.
 */
export class EventRegistry {
  readonly #catalogs = new Map<string, EventCatalog>();
  readonly #readings = new Map<string, CatalogReading>();
  readonly #maxEventBytes: number;

  constructor(catalogs: readonly EventCatalog[], maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
    for (const catalog of catalogs) this.register(catalog);
  }

  /** Adds a catalog; registering the same stream type twice with other schemas is refused. */
  register(catalog: EventCatalog): void {
    const existing = this.#catalogs.get(catalog.streamType);
    if (existing === undefined) {
      this.#catalogs.set(catalog.streamType, catalog);
      this.#readings.set(catalog.streamType, readingOf(catalog));
      return;
    }
    if (existing.schemas === catalog.schemas) return;
    const types = new Set([...Object.keys(existing.schemas), ...Object.keys(catalog.schemas)]);
    for (const type of types) {
      if (existing.schemas[type] !== catalog.schemas[type]) {
        throw new HindsightError(
          'DUPLICATE_EVENT_TYPE',
          `Stream type "${catalog.streamType}" is registered twice with different schemas (event type "${type}")`,
        );
      }
    }
  }

  /**
   * Whether `catalog`'s stream type is registered with the same schemas; a stream type registered
   * with other schemas is refused as by {@link EventRegistry.register}.
   */
  knowsCatalog(catalog: EventCatalog): boolean {
    if (!this.#catalogs.has(catalog.streamType)) return false;
    this.register(catalog);
    return true;
  }

  streamTypes(): string[] {
    return [...this.#catalogs.keys()];
  }

  /**
   * Validates a batch against its stream type's schemas and turns it into storable events.
   * Throws on the first bad event; nothing is stored by the caller then.
   */
  async prepare(
    streamId: string,
    streamType: string,
    events: readonly NewEvent[],
    sharedMetadata: EventMetadata | undefined,
  ): Promise<PreparedEvent[]> {
    const catalog = this.#catalogs.get(streamType);
    if (catalog === undefined && events.length === 0) {
      // An empty append still names its stream type; an unregistered one is refused the same way.
      throw new UnknownEventTypeError({ streamId, streamType, eventType: '(none)', known: [] });
    }
    const seenIds = new Set<string>();
    const prepared: PreparedEvent[] = [];
    for (const event of events) {
      if (!isPlainObject(event) || typeof event.type !== 'string') {
        throw new UnknownEventTypeError({
          streamId,
          streamType,
          eventType: String((event as { type?: unknown } | null)?.type),
          known: Object.keys(catalog?.schemas ?? {}),
        });
      }
      const schema: StandardSchemaV1 | undefined = catalog?.schemas[event.type];
      if (schema === undefined || !Object.hasOwn(catalog?.schemas ?? {}, event.type)) {
        throw new UnknownEventTypeError({
          streamId,
          streamType,
          eventType: event.type,
          known: Object.keys(catalog?.schemas ?? {}),
        });
      }
      // Schemas validate synchronously as a rule: only wait when one did not, since an await per
      // event costs a microtask turn each.
      const result = schema['~standard'].validate(event.data);
      const dataLength: JsonLengthBound = { atMost: 0 };
      const data = this.#validated(
        result instanceof Promise ? await result : result,
        streamId,
        event.type,
        dataLength,
      );
      // Check each source before merging: spreading a string, array or null would turn it into
      // (or drop it as) a plain object, and the check after the merge would never see the mistake.
      checkMetadata(streamId, event.type, sharedMetadata);
      checkMetadata(streamId, event.type, event.metadata);
      const metadata = { ...sharedMetadata, ...event.metadata };
      // A generated id is a UUID already: only a caller's id is checked.
      const eventId = event.eventId ?? globalThis.crypto.randomUUID();
      if (event.eventId !== undefined) checkEventId(streamId, eventId);
      if (seenIds.has(eventId)) {
        throw new EventIdConflictError({ streamId, eventId, problem: 'appears twice in one append' });
      }
      seenIds.add(eventId);
      const written = this.#withWrittenVersion(streamType, event.type, metadata);
      this.#checkSize(streamId, event.type, data, dataLength.atMost, written);
      prepared.push({ eventId, type: event.type, data, metadata: written });
    }
    return prepared;
  }

  /** Records the schema version an event is written with (nothing for version 1). */
  #withWrittenVersion(streamType: string, type: string, metadata: EventMetadata): EventMetadata {
    const version = this.#readings.get(streamType)?.types.get(type)?.current.version ?? 1;
    if (version > 1) return { ...metadata, [schemaVersionField]: version };
    if (!Object.hasOwn(metadata, schemaVersionField)) return metadata;
    const { [schemaVersionField]: _ignored, ...rest } = metadata;
    return rest;
  }

  /** The current schema of an event type of a stream type (undefined when not declared). */
  schemaOf(streamType: string, type: string): StandardSchemaV1 | undefined {
    const schemas = this.#catalogs.get(streamType)?.schemas;
    return schemas !== undefined && Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  }

  /** Whether a stored event's stream type is registered, and its type declared (current or retired). */
  knows(streamType: string, type: string): 'known' | 'unknown-type' | 'unknown-stream-type' {
    const reading = this.#readings.get(streamType);
    if (reading === undefined) return 'unknown-stream-type';
    return reading.types.has(type) || reading.splits.has(type) ? 'known' : 'unknown-type';
  }

  /** True when no registered catalog changes how any stored event reads (so reads need no decoding). */
  get readsRaw(): boolean {
    return this.#readings.size === 0;
  }

  /**
   * The stored type names to ask a storage for so that, once decoded, every event of `types`
   * is found: the types themselves, the names they were renamed from, and every split type.
   * `types` itself when no catalog renames or splits anything.
   */
  storedTypes(types: readonly string[]): { readonly stored: readonly string[]; readonly exact: boolean } {
    const extra = new Set<string>();
    let exact = true;
    for (const reading of this.#readings.values()) {
      for (const type of types) {
        for (const name of reading.storedNames.get(type) ?? []) extra.add(name);
      }
      if (reading.splits.size > 0) exact = false;
      for (const name of reading.splits.keys()) extra.add(name);
    }
    return { stored: extra.size === 0 ? types : [...new Set([...types, ...extra])], exact };
  }

  /**
   * Decodes a page of stored events: upcasts each from the schema version it was written with to
   * the current one (renamed types read under their new name, split types as their parts), then,
   * with `validate`, checks it against the current schema. Throws `StoredEventInvalidError` for an
   * event that cannot be read so. Returns `events` itself when nothing changed.
   */
  async decode(events: readonly StoredEvent[], validate: boolean): Promise<readonly StoredEvent[]> {
    if (this.#readings.size === 0) return events;
    let decoded: StoredEvent[] | undefined;
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index] as StoredEvent;
      let result = this.#decodeOne(event, validate);
      // Schemas validate synchronously as a rule: only wait when one did not.
      if (result instanceof Promise) result = await result;
      if (decoded === undefined) {
        if (result === event) continue;
        decoded = events.slice(0, index);
      }
      if (Array.isArray(result)) decoded.push(...(result as readonly StoredEvent[]));
      else decoded.push(result as StoredEvent);
    }
    return decoded ?? events;
  }

  #decodeOne(event: StoredEvent, validate: boolean): Decoded | Promise<Decoded> {
    const reading = this.#readings.get(event.streamType);
    if (reading === undefined) return event;
    const typeReading = reading.types.get(event.type);
    if (typeReading === undefined) {
      const split = reading.splits.get(event.type);
      // An unknown type reads as stored: aggregates refuse it with UNKNOWN_EVENT_TYPE, `check` reports it.
      return split === undefined ? event : this.#split(event, reading, split, validate);
    }
    const stored = storedVersion(event);
    const { current } = typeReading;
    if (stored === current.version && typeReading.type === event.type) {
      return validate ? validated(event, current.schema, event, stored) : event;
    }
    if (stored > current.version) {
      throw invalid(
        event,
        stored,
        '',
        `written by schema version ${stored}; this code knows up to ${current.version}`,
      );
    }
    let data = event.data;
    for (const step of typeReading.versions) {
      if (step.version <= stored || step.upcast === undefined) continue;
      try {
        data = step.upcast(data);
      } catch (error) {
        throw invalid(
          event,
          stored,
          '',
          `upcasting to version ${step.version} failed: ${describe(error)}`,
          error,
        );
      }
    }
    const lifted: StoredEvent = {
      ...event,
      type: typeReading.type,
      data,
      metadata: withVersion(event.metadata, current.version),
    };
    return validate ? validated(lifted, current.schema, event, stored) : lifted;
  }

  #split(
    event: StoredEvent,
    reading: CatalogReading,
    split: Extract<RetiredEvent, (...args: never[]) => unknown>,
    validate: boolean,
  ): Decoded | Promise<Decoded> {
    const stored = storedVersion(event);
    let parts: unknown;
    try {
      parts = split(event.data, event);
    } catch (error) {
      throw invalid(event, stored, '', `splitting it failed: ${describe(error)}`, error);
    }
    const list = (Array.isArray(parts) ? parts : [parts]) as readonly unknown[];
    const results: (StoredEvent | Promise<StoredEvent>)[] = [];
    for (const part of list) {
      const type = isPlainObject(part) ? part.type : undefined;
      const target = typeof type === 'string' ? reading.types.get(type) : undefined;
      if (target === undefined || target.type !== type || !isPlainObject(part)) {
        throw invalid(event, stored, '', `its split returned ${describe(type)}, not a current event type`);
      }
      const lifted: StoredEvent = {
        ...event,
        type: target.type,
        data: part.data,
        metadata: withVersion(event.metadata, target.current.version),
      };
      results.push(validate ? validated(lifted, target.current.schema, event, stored) : lifted);
    }
    return results.some((result) => result instanceof Promise)
      ? Promise.all(results)
      : (results as StoredEvent[]);
  }

  #validated(
    result: StandardResult<unknown>,
    streamId: string,
    eventType: string,
    length: JsonLengthBound,
  ): unknown {
    if (result.issues !== undefined) {
      throw new EventValidationError({ streamId, eventType, issues: result.issues.map(toValidationIssue) });
    }
    const problem = findNonJson(result.value, new Set(), length);
    if (problem !== undefined) {
      throw new PayloadNotSerializableError({
        streamId,
        eventType,
        path: joinPath(problem.path),
        problem: problem.reason,
      });
    }
    return result.value;
  }

  /** `dataLength`: a bound of the payload's JSON length, added up by findNonJson on its walk. */
  #checkSize(
    streamId: string,
    eventType: string,
    data: unknown,
    dataLength: number,
    metadata: EventMetadata,
  ): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only count exactly when it could matter, and
    // only serialize the payload (a quarter of the cost of preparing the bench's events) when its
    // bound could.
    const metadataJson = JSON.stringify(metadata);
    if ((dataLength + metadataJson.length) * 3 <= this.#maxEventBytes) return;
    const json = JSON.stringify(data) + metadataJson;
    if (json.length * 3 <= this.#maxEventBytes) return;
    const bytes = encoder.encode(json).length;
    if (bytes > this.#maxEventBytes) {
      throw new PayloadTooLargeError({ streamId, eventType, bytes, limit: this.#maxEventBytes });
    }
  }
}

function issuePath(issue: StandardIssue): PropertyKey[] {
  return (issue.path ?? []).map((segment) =>
    typeof segment === 'object' && segment !== null ? segment.key : segment,
  );
}

function toValidationIssue(issue: StandardIssue): { path: string; message: string } {
  return { path: joinPath(issuePath(issue)), message: issue.message };
}

function readingOf(catalog: EventCatalog): CatalogReading {
  const types = new Map<string, TypeReading>();
  const splits = new Map<string, Extract<RetiredEvent, (...args: never[]) => unknown>>();
  const storedNames = new Map<string, string[]>();
  for (const [type, schema] of Object.entries(catalog.schemas)) {
    const versions = schemaHistory(schema);
    types.set(type, { type, versions, current: versions[versions.length - 1] as SchemaVersion });
  }
  for (const [retired, reading] of Object.entries(catalog.retired ?? {})) {
    if (typeof reading === 'function') {
      splits.set(retired, reading);
      continue;
    }
    const target = types.get(reading);
    if (target === undefined) continue;
    types.set(retired, target);
    storedNames.set(reading, [...(storedNames.get(reading) ?? []), retired]);
  }
  return { types, splits, storedNames };
}

/** The schema version an event was written with: its metadata field, 1 without one. */
function storedVersion(event: StoredEvent): number {
  const version = event.metadata[schemaVersionField];
  if (version === undefined) return 1;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw invalid(
      event,
      0,
      `metadata.${schemaVersionField}`,
      `is ${describe(version)}, not a schema version`,
    );
  }
  return version;
}

function withVersion(metadata: EventMetadata, version: number): EventMetadata {
  if (version === 1 && !Object.hasOwn(metadata, schemaVersionField)) return metadata;
  return { ...metadata, [schemaVersionField]: version };
}

/**
 * `event` if its data passes the current schema, else StoredEventInvalidError naming `stored`.
 * The stored data is kept as it is, not replaced by the schema's output: it already is an output
 * (of validation at append, or of an upcaster), and parsing it again would apply transforms twice.
 */
function validated(
  event: StoredEvent,
  schema: StandardSchemaV1,
  stored: StoredEvent,
  storedVersionNumber: number,
): StoredEvent | Promise<StoredEvent> {
  const settle = (result: StandardResult<unknown>): StoredEvent => {
    // A forgotten personal field holds its placeholder, which no schema of the field accepts.
    const issues = result.issues?.filter((issue) => !isForgottenPath(event.data, issuePath(issue)));
    if (issues !== undefined && issues.length > 0) {
      throw new StoredEventInvalidError({
        streamId: stored.streamId,
        version: stored.version,
        position: stored.position,
        eventType: stored.type,
        schemaVersion: storedVersionNumber,
        issues: issues.map(toValidationIssue),
      });
    }
    return event;
  };
  const result = schema['~standard'].validate(event.data);
  return result instanceof Promise ? result.then(settle) : settle(result);
}

function invalid(
  event: StoredEvent,
  schemaVersion: number,
  path: string,
  message: string,
  cause?: unknown,
): StoredEventInvalidError {
  return new StoredEventInvalidError({
    streamId: event.streamId,
    version: event.version,
    position: event.position,
    eventType: event.type,
    schemaVersion,
    issues: [{ path, message }],
    ...(cause === undefined ? {} : { cause }),
  });
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? `"${value}"` : String(value);
}
