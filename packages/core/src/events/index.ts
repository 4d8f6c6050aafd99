export type { EventMetadata, NewEvent, StoredEvent } from './event.js';
export {
  type CurrentEventOf,
  defineStreamType,
  type EventCatalog,
  type EventHistory,
  type EventSchemas,
  type NewEventOf,
  type RetiredEvent,
  type RetiredEvents,
  type SchemasOf,
  type StoredEventOf,
  type StreamTypesOf,
} from './event-catalog.js';
export {
  type EvolvingSchema,
  evolving,
  type SchemaVersion,
  schemaVersionField,
} from './evolving-schema.js';
export type {
  SchemaInput,
  SchemaOutput,
  StandardIssue,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
} from './standard-schema.js';
