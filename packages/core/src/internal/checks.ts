import {
  InvalidArgumentError,
  InvalidMetadataError,
  InvalidStreamIdError,
  PayloadNotSerializableError,
} from '../errors/hindsight-error.js';
import type { ExpectedVersion } from '../streams/event-storage.js';

const maxStreamIdLength = 255;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const controlCharacter = /[\u0000-\u001f\u007f]/;
// In a `u` regexp, paired surrogates form one code point; only lone ones match \p{Cs}.
const loneSurrogate = /\p{Cs}/u;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Stream ids are stored verbatim, so they must survive every store: non-empty, at most 255
 * characters, well-formed Unicode (encodable as UTF-8) and free of control characters (PostgreSQL
 * text cannot hold NUL). Anything else (quotes, slashes, SQL) is fine and never interpreted.
 */
export function checkStreamId(streamId: unknown): asserts streamId is string {
  if (typeof streamId !== 'string') throw new InvalidStreamIdError({ streamId, problem: 'must be a string' });
  if (streamId.length === 0) throw new InvalidStreamIdError({ streamId, problem: 'must not be empty' });
  if (streamId.length > maxStreamIdLength) {
    throw new InvalidStreamIdError({ streamId, problem: `longer than ${maxStreamIdLength} characters` });
  }
  if (loneSurrogate.test(streamId)) {
    throw new InvalidStreamIdError({ streamId, problem: 'contains a lone surrogate (not valid UTF-8)' });
  }
  if (controlCharacter.test(streamId)) {
    throw new InvalidStreamIdError({ streamId, problem: 'contains a control character' });
  }
}

export function checkExpectedVersion(expected: unknown): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  checkVersion('expectedVersion', expected, 0);
}

/** A whole number ≥ `min` (and safe as a JavaScript number). */
export function checkVersion(argument: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError({ argument, value, problem: `must be a whole number ≥ ${min}` });
  }
}

/** A `Date` that holds a time (not `new Date('garbage')`). */
export function checkDate(argument: string, value: unknown): asserts value is Date {
  if (!(value instanceof Date && !Number.isNaN(value.getTime()))) {
    throw new InvalidArgumentError({ argument, value, problem: 'is not a valid Date' });
  }
}

/** Names of aggregates, projections, processes and listeners: non-empty strings. */
export function checkDefinitionName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError({
      argument: `${kind} name`,
      value: name,
      problem: 'must be a non-empty string',
    });
  }
}

/** A definition's handlers with one more for `type`; a type declared twice is refused. */
export function withHandler<Handler>(
  handlers: ReadonlyMap<string, Handler>,
  owner: string,
  type: string,
  handler: Handler,
): Map<string, Handler> {
  if (handlers.has(type))
    throw new InvalidArgumentError({ argument: owner, value: type, problem: 'is declared twice' });
  return new Map([...handlers, [type, handler]]);
}

export function checkEventId(streamId: string, eventId: unknown): asserts eventId is string {
  if (typeof eventId !== 'string' || !uuidPattern.test(eventId)) {
    throw new InvalidMetadataError({ streamId, field: 'eventId', problem: 'must be a UUID string' });
  }
}

const wellKnownIds = ['actorId', 'correlationId', 'causationId'] as const;

/** Metadata is a plain object; the well-known ids are strings; everything is plain JSON. */
export function checkMetadata(streamId: string, eventType: string, metadata: unknown): void {
  if (metadata === undefined) return;
  if (!isPlainObject(metadata)) {
    throw new InvalidMetadataError({ streamId, field: '(metadata)', problem: 'must be a plain object' });
  }
  for (const field of wellKnownIds) {
    const value = metadata[field];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0)) {
      throw new InvalidMetadataError({ streamId, field, problem: 'must be a non-empty string' });
    }
  }
  const problem = findNonJson(metadata, new Set());
  if (problem !== undefined) {
    throw new PayloadNotSerializableError({
      streamId,
      eventType,
      path: joinPath(['metadata', ...problem.path]),
      problem: problem.reason,
    });
  }
}

export interface NonJsonProblem {
  readonly path: readonly PropertyKey[];
  readonly reason: string;
}

/**
 * What {@link findNonJson} adds up on its walk: at least the length of `JSON.stringify` of what it
 * accepted (UTF-16 code units), so a size limit far above it needs no serialization to check.
 */
export interface JsonLengthBound {
  atMost: number;
}

// JSON.stringify writes a code unit as at most 6 (`\u001f`, a lone surrogate), a finite number
// in at most 25 (`-1.2345678901234567e-308`, `-0.0000012345678901234567`).
const maxUnitLength = 6;
const maxNumberLength = 25;

/**
 * Finds the first value that would not survive a JSON round trip unchanged. The rule: only
 * strings, finite numbers, booleans, null, arrays and plain objects. Dates, BigInts, Maps, class
 * instances, functions, undefined array items, NaN and cycles are refused rather than silently
 * changed, so what is read back always equals what was written. Given `length`, adds a bound of
 * the value's JSON length to it.
 */
export function findNonJson(
  value: unknown,
  ancestors: Set<object>,
  length?: JsonLengthBound,
): NonJsonProblem | undefined {
  switch (typeof value) {
    case 'string':
      if (length !== undefined) length.atMost += 2 + maxUnitLength * value.length;
      return unstorableTextReason(value);
    case 'boolean':
      if (length !== undefined) length.atMost += 5;
      return undefined;
    case 'number':
      if (length !== undefined) length.atMost += maxNumberLength;
      return Number.isFinite(value) ? undefined : { path: [], reason: `${value} is not a JSON number` };
    case 'bigint':
      return { path: [], reason: 'BigInt is not JSON; store it as a string' };
    case 'undefined':
      return { path: [], reason: 'undefined is not JSON' };
    case 'function':
    case 'symbol':
      return { path: [], reason: `a ${typeof value} is not JSON` };
  }
  if (value === null) {
    if (length !== undefined) length.atMost += 4;
    return undefined;
  }
  const object = value as object;
  if (ancestors.has(object)) return { path: [], reason: 'circular reference' };
  if (!Array.isArray(object) && !isPlainObject(object)) {
    const kind =
      object instanceof Date ? 'a Date (use an ISO string)' : `a ${object.constructor?.name ?? 'exotic'}`;
    return { path: [], reason: `${kind} is not plain JSON` };
  }
  ancestors.add(object);
  // Indexed loops, not entries(): this walks every payload appended, and allocates nothing per item.
  try {
    if (Array.isArray(object)) {
      // Brackets, and a comma after each item (one too many: a bound).
      if (length !== undefined) length.atMost += 2 + object.length;
      for (let index = 0; index < object.length; index += 1) {
        const problem = findNonJson(object[index], ancestors, length);
        if (problem !== undefined) return { path: [index, ...problem.path], reason: problem.reason };
      }
    } else {
      if (length !== undefined) length.atMost += 2;
      const record = object as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        if (item === undefined) continue;
        const keyProblem = unstorableTextReason(key);
        if (keyProblem !== undefined) return { path: [key], reason: `its key ${keyProblem.reason}` };
        // The quoted key, its colon and a comma.
        if (length !== undefined) length.atMost += 4 + maxUnitLength * key.length;
        const problem = findNonJson(item, ancestors, length);
        if (problem !== undefined) return { path: [key, ...problem.path], reason: problem.reason };
      }
    }
  } finally {
    ancestors.delete(object);
  }
  return undefined;
}

/**
 * Text every store keeps as written: PostgreSQL's jsonb refuses U+0000, and a lone surrogate has no
 * UTF-8 form, so both are refused everywhere rather than only on some stores.
 */
function unstorableTextReason(text: string): NonJsonProblem | undefined {
  if (text.includes('\u0000')) return { path: [], reason: 'contains U+0000, which stores cannot keep' };
  if (loneSurrogate.test(text)) return { path: [], reason: 'contains a lone surrogate (not valid Unicode)' };
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `['items', 0, 'quantity']` → `items.0.quantity`. */
export function joinPath(path: readonly PropertyKey[]): string {
  return path.map((key) => String(key)).join('.');
}
