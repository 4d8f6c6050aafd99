import type { NewEvent, StoredEvent } from './event.js';
import type { SchemaInput, SchemaOutput, StandardSchemaV1 } from './standard-schema.js';

/** Event schemas keyed by event type. */
export type EventSchemas = Readonly<Record<string, StandardSchemaV1>>;

/**
 * The events one stream type may hold, with their schemas. Aggregates are catalogs too; use
 * `defineStreamType` for streams written without an aggregate.
 */
export interface EventCatalog<
  StreamType extends string = string,
  Schemas extends EventSchemas = EventSchemas,
> {
  readonly streamType: StreamType;
  readonly schemas: Schemas;
}

/**
 * Declares a stream type and the events its streams may hold.
 *
 * @example
 * ```ts
 * const Audit = defineStreamType('Audit', { LoginSucceeded: z.object({ userId: z.string() }) });
 * const store = createEventStore({ storage: createInMemoryStorage(), events: [Audit] });
 * ```
 */
export function defineStreamType<const StreamType extends string, const Schemas extends EventSchemas>(
  streamType: StreamType,
  schemas: Schemas,
): EventCatalog<StreamType, Schemas> {
  return { streamType, schemas };
}

/** The union of stored events a schema map describes. */
export type StoredEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: StoredEvent<Type, SchemaOutput<Schemas[Type]>>;
}[keyof Schemas & string];

/** The union of events (as written) a schema map accepts. */
export type NewEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: NewEvent<Type, SchemaInput<Schemas[Type]>>;
}[keyof Schemas & string];

/** Merges the schemas of several catalogs into one map. */
export type SchemasOf<Catalogs extends readonly EventCatalog[]> =
  UnionToIntersection<Catalogs[number]['schemas']> extends infer Merged extends EventSchemas
    ? Merged
    : EventSchemas;

/** Stream type names of several catalogs. */
export type StreamTypesOf<Catalogs extends readonly EventCatalog[]> = Catalogs[number]['streamType'];

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void
  ? I
  : never;
