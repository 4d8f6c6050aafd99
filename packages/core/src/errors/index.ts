export {
  EventCycleError,
  type FailedEventRef,
  HandlerFailedError,
  LeaseLostError,
  NotSupportedError,
  PartitionCountChangedError,
  ProjectionVersionInUseError,
} from './consumer-errors.js';
export {
  CommandRejectedError,
  ConcurrencyError,
  EventIdConflictError,
  EventValidationError,
  HindsightError,
  type HindsightErrorCode,
  type HindsightErrorFor,
  hindsightErrorCodes,
  InvalidArgumentError,
  InvalidMetadataError,
  InvalidStreamIdError,
  isHindsightError,
  PayloadNotSerializableError,
  PayloadTooLargeError,
  RetriesExhaustedError,
  StoredEventInvalidError,
  StreamTypeMismatchError,
  UnknownCommandError,
  UnknownEventTypeError,
  type ValidationIssue,
} from './hindsight-error.js';
export { SubjectKeyUnavailableError } from './personal-data-errors.js';
export {
  StreamClosedError,
  StreamDeletedError,
  StreamNotFoundError,
} from './stream-lifecycle-errors.js';
