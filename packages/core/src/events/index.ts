export type { EventMetadata, NewEvent, StoredEvent } from './event.js';
export {
  defineStreamType,
  type EventCatalog,
  type EventSchemas,
  type NewEventOf,
  type SchemasOf,
  type StoredEventOf,
  type StreamTypesOf,
} from './event-catalog.js';
export type {
  SchemaInput,
  SchemaOutput,
  StandardIssue,
  StandardResult,
  StandardSchemaProps,
  StandardSchemaV1,
} from './standard-schema.js';
