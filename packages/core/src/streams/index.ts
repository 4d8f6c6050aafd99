export {
  checkExpectedVersionMatches,
  expectedVersionMatches,
  findAlreadyStored,
} from './append-rules.js';
export {
  type CheckCount,
  type CheckFailure,
  type CheckOptions,
  type CheckProgress,
  type CheckReport,
  checkEvents,
} from './check-events.js';
export {
  type DecodedPage,
  EventReader,
  type EventSource,
  type LogReadOptions,
  paginate,
  type StreamReadOptions,
} from './event-reader.js';
export type {
  AppendRequest,
  AppendResult,
  DocumentQuery,
  EventStorage,
  ExpectedVersion,
  GlobalPageQuery,
  HeldLog,
  PreparedEvent,
  StorageStats,
  StoredCheckpoint,
  StoredDocument,
  StoredLease,
  StoredSnapshot,
  StreamInfo,
  StreamListQuery,
  StreamPageQuery,
  TransactionHook,
} from './event-storage.js';
export {
  type AppendOptions,
  createEventStore,
  type EventStore,
  type EventStoreOptions,
  type InlineProjection,
  type ReadAllOptions,
  type ReadableStore,
  type ReadStreamOptions,
} from './event-store.js';
