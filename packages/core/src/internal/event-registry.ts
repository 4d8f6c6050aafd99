import {
  EventIdConflictError,
  EventValidationError,
  HindsightError,
  PayloadNotSerializableError,
  PayloadTooLargeError,
  UnknownEventTypeError,
} from '../errors/hindsight-error.js';
import type { EventMetadata, NewEvent } from '../events/event.js';
import type { EventCatalog } from '../events/event-catalog.js';
import type { StandardIssue, StandardSchemaV1 } from '../events/standard-schema.js';
import type { PreparedEvent } from '../streams/event-storage.js';
import { checkEventId, checkMetadata, findNonJson, isPlainObject, joinPath } from './checks.js';

const encoder = new TextEncoder();

/** The catalogs a store knows, keyed by stream type; validates and prepares events for storage. */
export class EventRegistry {
  readonly #catalogs = new Map<string, EventCatalog>();
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
      const data = await this.#validate(schema, streamId, event.type, event.data);
      // Check each source before merging: spreading a string, array or null would turn it into
      // (or drop it as) a plain object, and the check after the merge would never see the mistake.
      checkMetadata(streamId, event.type, sharedMetadata);
      checkMetadata(streamId, event.type, event.metadata);
      const metadata = { ...sharedMetadata, ...event.metadata };
      const eventId = event.eventId ?? globalThis.crypto.randomUUID();
      checkEventId(streamId, eventId);
      if (seenIds.has(eventId)) {
        throw new EventIdConflictError({ streamId, eventId, problem: 'appears twice in one append' });
      }
      seenIds.add(eventId);
      this.#checkSize(streamId, event.type, data, metadata);
      prepared.push({ eventId, type: event.type, data, metadata });
    }
    return prepared;
  }

  async #validate(
    schema: StandardSchemaV1,
    streamId: string,
    eventType: string,
    data: unknown,
  ): Promise<unknown> {
    const result = await schema['~standard'].validate(data);
    if (result.issues !== undefined) {
      throw new EventValidationError({ streamId, eventType, issues: result.issues.map(toValidationIssue) });
    }
    const problem = findNonJson(result.value, new Set());
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

  #checkSize(streamId: string, eventType: string, data: unknown, metadata: EventMetadata): void {
    const json = JSON.stringify(data) + JSON.stringify(metadata);
    // A UTF-16 code unit is at most 3 UTF-8 bytes: only count exactly when it could matter.
    if (json.length * 3 <= this.#maxEventBytes) return;
    const bytes = encoder.encode(json).length;
    if (bytes > this.#maxEventBytes) {
      throw new PayloadTooLargeError({ streamId, eventType, bytes, limit: this.#maxEventBytes });
    }
  }
}

function toValidationIssue(issue: StandardIssue): { path: string; message: string } {
  const path = (issue.path ?? []).map((segment) =>
    typeof segment === 'object' && segment !== null ? segment.key : segment,
  );
  return { path: joinPath(path), message: issue.message };
}
