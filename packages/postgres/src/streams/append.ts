import type { AppendRequest, StoredEvent } from '@hindsight/core';
import { toArrayLiteral } from '../internal/array-literal.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * The whole append in one round trip: a call of `append_events` (migration 6, which explains the
 * statement). Parameters: $1 stream id, $2 stream type, $3 event count, $4 expected-version mode,
 * $5 exact version (or null), $6–$9 event ids, types, data and metadata as array literals,
 * $10–$11 the position lock key, $12 recording times (epoch milliseconds, null: now).
 */
export function appendStatement(schema: string): Statement {
  return defineStatement(
    'append',
    `SELECT positions, version, recorded_ms FROM ${schema}.append_events($1::text, $2::text, $3::int,
  $4::text, $5::int, $6::uuid[], $7::text[], $8::text[], $9::text[], $10::int4, $11::int4, $12::int8[])`,
  );
}

/**
 * A one-event append: a call of `append_event` (migration 12), the same steps with scalar
 * arguments. Parameters: $1 stream id, $2 stream type, $3 expected-version mode, $4 exact version
 * (or null), $5–$8 the event's id, type, data and metadata, $9–$10 the position lock key, $11 its
 * recording time (epoch milliseconds, null: now).
 */
export function appendEventStatement(schema: string): Statement {
  return defineStatement(
    'append_event',
    `SELECT positions, version, recorded_ms FROM ${schema}.append_event($1::text, $2::text, $3::text,
  $4::int, $5::uuid, $6::text, $7::text, $8::text, $9::int4, $10::int4, $11::int8)`,
  );
}

/** The statements of one append: by {@link appendEventStatement} for one event, else {@link appendStatement}. */
export interface AppendStatements {
  readonly events: Statement;
  readonly event: Statement;
}

/** The statement and parameters of one append in its own statement. */
export function appendCall(
  statements: AppendStatements,
  encoded: EncodedAppend,
  lockKey: readonly [number, number],
): { readonly statement: Statement; readonly params: unknown[] } {
  const { request } = encoded;
  const [event] = request.events;
  if (request.events.length !== 1 || event === undefined) {
    return { statement: statements.events, params: appendParams(encoded, lockKey) };
  }
  const { expectedVersion } = request;
  const exact = typeof expectedVersion === 'number';
  return {
    statement: statements.event,
    params: [
      request.streamId,
      request.streamType,
      exact ? 'exact' : expectedVersion,
      exact ? expectedVersion : null,
      event.eventId,
      event.type,
      encoded.data[0],
      encoded.metadata[0],
      ...lockKey,
      event.recordedAt?.getTime() ?? null,
    ],
  };
}

/** The row of {@link appendStatement}: every event's position (comma-separated), the last version. */
export interface AppendRow {
  readonly positions: string;
  readonly version: string;
  readonly recorded_ms: string;
}

/** An append's payloads as JSON texts, made once: sent, and parsed back into the stored events. */
export interface EncodedAppend {
  readonly request: AppendRequest;
  readonly data: readonly string[];
  readonly metadata: readonly string[];
}

export function encodeAppend(request: AppendRequest): EncodedAppend {
  return {
    request,
    data: request.events.map((event) => JSON.stringify(event.data)),
    metadata: request.events.map((event) => JSON.stringify(event.metadata)),
  };
}

/** The parameters of {@link appendStatement}. */
function appendParams(encoded: EncodedAppend, lockKey: readonly [number, number]): unknown[] {
  const { request } = encoded;
  const { expectedVersion, events } = request;
  const exact = typeof expectedVersion === 'number';
  return [
    request.streamId,
    request.streamType,
    events.length,
    exact ? 'exact' : expectedVersion,
    exact ? expectedVersion : null,
    toArrayLiteral(events.map((event) => event.eventId)),
    toArrayLiteral(events.map((event) => event.type)),
    toArrayLiteral(encoded.data),
    toArrayLiteral(encoded.metadata),
    ...lockKey,
    recordedLiteral(events),
  ];
}

/**
 * Several appends in one statement and one commit: a call of `append_events_batch` (migration 9).
 * Parameters: $1–$5 per append (stream ids, stream types, event counts, expected-version modes,
 * exact versions), $6–$9 and $12 per event of all appends in order, $10–$11 the position lock key.
 */
export function appendBatchStatement(schema: string): Statement {
  return defineStatement(
    'append_batch',
    `SELECT append_index, positions, version, recorded_ms FROM ${schema}.append_events_batch($1::text[],
  $2::text[], $3::int[], $4::text[], $5::int[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::int4,
  $11::int4, $12::int8[])`,
  );
}

/** A row of {@link appendBatchStatement}: the 1-based index of a written append, and its row. */
export interface AppendBatchRow extends AppendRow {
  readonly append_index: string;
}

/** The parameters of {@link appendBatchStatement}. */
export function appendBatchParams(
  batch: readonly EncodedAppend[],
  lockKey: readonly [number, number],
): unknown[] {
  const requests = batch.map((encoded) => encoded.request);
  const events = requests.flatMap((request) => request.events);
  const exactVersion = (request: AppendRequest): string =>
    typeof request.expectedVersion === 'number' ? String(request.expectedVersion) : 'NULL';
  return [
    toArrayLiteral(requests.map((request) => request.streamId)),
    toArrayLiteral(requests.map((request) => request.streamType)),
    `{${requests.map((request) => request.events.length).join(',')}}`,
    toArrayLiteral(
      requests.map((request) =>
        typeof request.expectedVersion === 'number' ? 'exact' : request.expectedVersion,
      ),
    ),
    `{${requests.map(exactVersion).join(',')}}`,
    toArrayLiteral(events.map((event) => event.eventId)),
    toArrayLiteral(events.map((event) => event.type)),
    toArrayLiteral(batch.flatMap((encoded) => encoded.data)),
    toArrayLiteral(batch.flatMap((encoded) => encoded.metadata)),
    ...lockKey,
    recordedLiteral(events),
  ];
}

function recordedLiteral(events: AppendRequest['events']): string {
  return `{${events.map((event) => event.recordedAt?.getTime() ?? 'NULL').join(',')}}`;
}

/**
 * The stored events, rebuilt from the request and the one row the statement returns. Payloads
 * are parsed back from the JSON sent: a copy equal to what a read returns, which later changes to
 * the request cannot reach.
 */
export function appendedEvents(encoded: EncodedAppend, row: AppendRow): StoredEvent[] {
  const { request } = encoded;
  const positions = row.positions.split(',').map(Number);
  const lastVersion = Number(row.version);
  const recordedAt = Number(row.recorded_ms);
  return request.events.map((event, index) => ({
    // As a uuid column returns it, so the append result equals what reads return.
    eventId: event.eventId.toLowerCase(),
    streamId: request.streamId,
    streamType: request.streamType,
    type: event.type,
    version: lastVersion - positions.length + index + 1,
    position: positions[index] as number,
    timestamp: new Date(event.recordedAt?.getTime() ?? recordedAt),
    data: JSON.parse(encoded.data[index] as string),
    metadata: JSON.parse(encoded.metadata[index] as string),
  }));
}
