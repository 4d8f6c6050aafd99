const errorBrand = Symbol.for('@hindsight/error');

/**
 * Every stable error code Hindsight throws, in one list: the {@link HindsightErrorCode} union is
 * read off it, and the tests check that each code is thrown somewhere and documented.
 *
 * @example
 * ```ts
 * const known = new Set<string>(hindsightErrorCodes);
 * if (isHindsightError(error) && known.has(error.code)) report(error.code);
 * ```
 */
export const hindsightErrorCodes = [
  'VALIDATION_FAILED',
  'STORED_EVENT_INVALID',
  'UNKNOWN_EVENT_TYPE',
  'CONCURRENCY_CONFLICT',
  'RETRIES_EXHAUSTED',
  'COMMAND_REJECTED',
  'UNKNOWN_COMMAND',
  'INVALID_STREAM_ID',
  'INVALID_ARGUMENT',
  'PAYLOAD_NOT_SERIALIZABLE',
  'PAYLOAD_TOO_LARGE',
  'INVALID_METADATA',
  'EVENT_ID_CONFLICT',
  'STREAM_TYPE_MISMATCH',
  'DUPLICATE_EVENT_TYPE',
  'STORE_CLOSED',
  'STORAGE_UNAVAILABLE',
  'SCHEMA_NOT_MIGRATED',
  'HANDLER_FAILED',
  'EVENT_CYCLE',
  'NOT_SUPPORTED',
  'CONSUMER_STOPPED',
  'LEASE_LOST',
  'PROJECTION_VERSION_IN_USE',
  'SUBJECT_KEY_UNAVAILABLE',
  'PARTITION_COUNT_CHANGED',
  'STREAM_CLOSED',
  'STREAM_DELETED',
  'STREAM_NOT_FOUND',
] as const;

/**
 * A stable error code. Match on these, never on messages.
 *
 * @example
 * ```ts
 * const code: HindsightErrorCode = 'CONCURRENCY_CONFLICT';
 * ```
 */
export type HindsightErrorCode = (typeof hindsightErrorCodes)[number];

/**
 * Base class of every error Hindsight throws. `code` is stable across releases.
 *
 * @example
 * ```ts
 * try { await orders.execute('o1', 'pay', { paymentId: 'p1' }); }
 * catch (error) { if (isHindsightError(error, 'COMMAND_REJECTED')) console.log(error.reason); }
 * ```
 */
export class HindsightError extends Error {
  readonly code: HindsightErrorCode;
  /** True when the same call may succeed if simply tried again (e.g. a dropped connection). */
  readonly retryable: boolean;

  constructor(code: HindsightErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options?.retryable ?? false;
    this.name = new.target.name;
    Object.defineProperty(this, errorBrand, { value: true });
  }
}

/**
 * The class of each code that has one, for {@link isHindsightError}'s narrowing. Modules that
 * define error classes elsewhere add theirs by declaration merging (consumer-errors.ts does), so
 * this module imports none of them.
 *
 * @example
 * ```ts
 * type Conflict = HindsightErrorClasses['CONCURRENCY_CONFLICT']; // ConcurrencyError
 * ```
 */
export interface HindsightErrorClasses {
  VALIDATION_FAILED: EventValidationError;
  STORED_EVENT_INVALID: StoredEventInvalidError;
  UNKNOWN_EVENT_TYPE: UnknownEventTypeError;
  CONCURRENCY_CONFLICT: ConcurrencyError;
  RETRIES_EXHAUSTED: RetriesExhaustedError;
  COMMAND_REJECTED: CommandRejectedError;
  UNKNOWN_COMMAND: UnknownCommandError;
  INVALID_STREAM_ID: InvalidStreamIdError;
  INVALID_ARGUMENT: InvalidArgumentError;
  PAYLOAD_NOT_SERIALIZABLE: PayloadNotSerializableError;
  PAYLOAD_TOO_LARGE: PayloadTooLargeError;
  INVALID_METADATA: InvalidMetadataError;
  EVENT_ID_CONFLICT: EventIdConflictError;
  STREAM_TYPE_MISMATCH: StreamTypeMismatchError;
}

/** The error class thrown for `code`, or the base class for codes without a dedicated class. */
export type HindsightErrorFor<C extends HindsightErrorCode> = C extends keyof HindsightErrorClasses
  ? HindsightErrorClasses[C]
  : HindsightError;

/**
 * Checks for a Hindsight error (optionally of one code). Works across duplicate copies of the
 * package, where `instanceof` would not.
 *
 * @example
 * ```ts
 * if (isHindsightError(error, 'CONCURRENCY_CONFLICT')) retry();
 * ```
 */
export function isHindsightError<C extends HindsightErrorCode>(
  error: unknown,
  code?: C,
): error is HindsightErrorFor<C> {
  if (typeof error !== 'object' || error === null || !(errorBrand in error)) return false;
  return code === undefined || (error as { code?: unknown }).code === code;
}

/** One problem found by an event schema: where (`path`, e.g. `items.0.quantity`) and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** An event's payload failed its schema. Nothing of the batch was written. */
export class EventValidationError extends HindsightError {
  readonly streamId: string;
  readonly eventType: string;
  readonly issues: readonly ValidationIssue[];
  /** Path of the first failing field (empty string for the payload itself). */
  readonly path: string;

  constructor(args: { streamId: string; eventType: string; issues: readonly ValidationIssue[] }) {
    const first = args.issues[0] ?? { path: '', message: 'invalid' };
    const where = first.path === '' ? 'payload' : `field "${first.path}"`;
    super(
      'VALIDATION_FAILED',
      `Invalid ${args.eventType} event for stream "${args.streamId}": ${where}: ${first.message}` +
        (args.issues.length > 1 ? ` (and ${args.issues.length - 1} more issue(s))` : ''),
    );
    this.streamId = args.streamId;
    this.eventType = args.eventType;
    this.issues = args.issues;
    this.path = first.path;
  }
}

/** The event type is not declared for the stream's type (or at all). Nothing was written. */
export class UnknownEventTypeError extends HindsightError {
  readonly streamId: string;
  readonly eventType: string;
  readonly streamType: string;

  constructor(args: { streamId: string; streamType: string; eventType: string; known: readonly string[] }) {
    super(
      'UNKNOWN_EVENT_TYPE',
      `Unknown event type "${args.eventType}" for stream "${args.streamId}" of type "${args.streamType}"; ` +
        `declared types: ${args.known.length === 0 ? '(none)' : args.known.join(', ')}`,
    );
    this.streamId = args.streamId;
    this.eventType = args.eventType;
    this.streamType = args.streamType;
  }
}

/** Expected version did not match the stream. `actualVersion` is 0 for a stream that does not exist. */
export class ConcurrencyError extends HindsightError {
  readonly streamId: string;
  readonly expectedVersion: string | number;
  readonly actualVersion: number;

  constructor(args: { streamId: string; expectedVersion: string | number; actualVersion: number }) {
    super(
      'CONCURRENCY_CONFLICT',
      `Concurrency conflict on stream "${args.streamId}": expected version ${String(args.expectedVersion)}, ` +
        `actual version ${args.actualVersion}`,
    );
    this.streamId = args.streamId;
    this.expectedVersion = args.expectedVersion;
    this.actualVersion = args.actualVersion;
  }
}

/** A command kept conflicting with concurrent writers until its retry budget ran out. */
export class RetriesExhaustedError extends HindsightError {
  readonly streamId: string;
  readonly attempts: number;

  constructor(args: { streamId: string; attempts: number; cause: unknown }) {
    super(
      'RETRIES_EXHAUSTED',
      `Gave up on stream "${args.streamId}" after ${args.attempts} attempt(s) conflicting with concurrent writers`,
      { cause: args.cause },
    );
    this.streamId = args.streamId;
    this.attempts = args.attempts;
  }
}

/** A command's business rule refused it (e.g. paying an order twice). */
export class CommandRejectedError extends HindsightError {
  readonly aggregate: string;
  readonly streamId: string;
  readonly command: string;
  /** Your stable reason, e.g. `'ORDER_ALREADY_PAID'`. */
  readonly reason: string;

  constructor(args: {
    aggregate: string;
    streamId: string;
    command: string;
    reason: string;
    message: string;
  }) {
    super(
      'COMMAND_REJECTED',
      `${args.aggregate}.${args.command} rejected on "${args.streamId}": ${args.message}`,
    );
    this.aggregate = args.aggregate;
    this.streamId = args.streamId;
    this.command = args.command;
    this.reason = args.reason;
  }
}

/** The aggregate has no command of that name. */
export class UnknownCommandError extends HindsightError {
  readonly aggregate: string;
  readonly command: string;

  constructor(args: { aggregate: string; command: string; known: readonly string[] }) {
    super(
      'UNKNOWN_COMMAND',
      `Aggregate "${args.aggregate}" has no command "${args.command}"; commands: ${args.known.join(', ')}`,
    );
    this.aggregate = args.aggregate;
    this.command = args.command;
  }
}

/** A stream id breaks the rule: 1–255 characters of well-formed Unicode without control characters. */
export class InvalidStreamIdError extends HindsightError {
  readonly streamId: unknown;

  constructor(args: { streamId: unknown; problem: string }) {
    super('INVALID_STREAM_ID', `Invalid stream id ${quote(args.streamId)}: ${args.problem}`);
    this.streamId = args.streamId;
  }
}

/** An argument is out of its domain (a negative version, a NaN limit, …). */
export class InvalidArgumentError extends HindsightError {
  readonly argument: string;

  constructor(args: { argument: string; value: unknown; problem: string }) {
    super('INVALID_ARGUMENT', `Invalid ${args.argument} ${quote(args.value)}: ${args.problem}`);
    this.argument = args.argument;
  }
}

/** A payload, metadata or snapshot value is not plain JSON (BigInt, cycles, Dates, functions, …). */
export class PayloadNotSerializableError extends HindsightError {
  readonly streamId: string;
  readonly eventType: string;
  readonly path: string;

  constructor(args: { streamId: string; eventType: string; path: string; problem: string }) {
    super(
      'PAYLOAD_NOT_SERIALIZABLE',
      `${args.eventType} on stream "${args.streamId}" is not plain JSON at ${args.path === '' ? 'the root' : `"${args.path}"`}: ${args.problem}`,
    );
    this.streamId = args.streamId;
    this.eventType = args.eventType;
    this.path = args.path;
  }
}

/** An event is larger than the store's `maxEventBytes`. */
export class PayloadTooLargeError extends HindsightError {
  readonly streamId: string;
  readonly eventType: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(args: { streamId: string; eventType: string; bytes: number; limit: number }) {
    super(
      'PAYLOAD_TOO_LARGE',
      `${args.eventType} on stream "${args.streamId}" is ${args.bytes} bytes as JSON; the limit is ${args.limit}`,
    );
    this.streamId = args.streamId;
    this.eventType = args.eventType;
    this.bytes = args.bytes;
    this.limit = args.limit;
  }
}

/** Metadata has a wrong shape (e.g. a non-string `correlationId`). */
export class InvalidMetadataError extends HindsightError {
  readonly streamId: string;
  readonly field: string;

  constructor(args: { streamId: string; field: string; problem: string }) {
    super(
      'INVALID_METADATA',
      `Invalid metadata for stream "${args.streamId}": "${args.field}" ${args.problem}`,
    );
    this.streamId = args.streamId;
    this.field = args.field;
  }
}

/** An event id already stored does not belong to an identical retry of the same append. */
export class EventIdConflictError extends HindsightError {
  readonly streamId: string;
  readonly eventId: string;

  constructor(args: { streamId: string; eventId: string; problem: string }) {
    super('EVENT_ID_CONFLICT', `Event id ${args.eventId} on stream "${args.streamId}": ${args.problem}`);
    this.streamId = args.streamId;
    this.eventId = args.eventId;
  }
}

/** A stream exists with another stream type than the one appended or loaded as. */
export class StreamTypeMismatchError extends HindsightError {
  readonly streamId: string;
  readonly expectedType: string;
  readonly actualType: string;

  constructor(args: { streamId: string; expectedType: string; actualType: string }) {
    super(
      'STREAM_TYPE_MISMATCH',
      `Stream "${args.streamId}" is of type "${args.actualType}", not "${args.expectedType}"`,
    );
    this.streamId = args.streamId;
    this.expectedType = args.expectedType;
    this.actualType = args.actualType;
  }
}

function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/**
 * A stored event does not fit its type's current definition: its upcaster threw, it was written
 * by a newer schema version than this code knows, or its payload (after upcasting) fails the
 * current schema. Raised by every read (streams, the global log, consumers, time travel) rather
 * than handing code a payload of the wrong shape.
 *
 * @example
 * ```ts
 * try { await accounts.load('a1'); }
 * catch (error) {
 *   if (isHindsightError(error, 'STORED_EVENT_INVALID')) console.log(error.streamId, error.version, error.path);
 * }
 * ```
 */
export class StoredEventInvalidError extends HindsightError {
  readonly streamId: string;
  readonly version: number;
  readonly position: number;
  /** The type as stored. */
  readonly eventType: string;
  /** The schema version the event was written with. */
  readonly schemaVersion: number;
  /** Path of the first failing field (empty for the payload itself or an upcasting failure). */
  readonly path: string;
  readonly issues: readonly ValidationIssue[];

  constructor(args: {
    streamId: string;
    version: number;
    position: number;
    eventType: string;
    schemaVersion: number;
    issues: readonly ValidationIssue[];
    cause?: unknown;
  }) {
    const first = args.issues[0] ?? { path: '', message: 'invalid' };
    const where = first.path === '' ? '' : ` field "${first.path}":`;
    super(
      'STORED_EVENT_INVALID',
      `Stored ${args.eventType} event (schema version ${args.schemaVersion}) at version ${args.version} of stream "${args.streamId}" does not fit its current definition:${where} ${first.message}` +
        (args.issues.length > 1 ? ` (and ${args.issues.length - 1} more)` : ''),
      args.cause === undefined ? undefined : { cause: args.cause },
    );
    this.streamId = args.streamId;
    this.version = args.version;
    this.position = args.position;
    this.eventType = args.eventType;
    this.schemaVersion = args.schemaVersion;
    this.path = first.path;
    this.issues = args.issues;
  }
}
