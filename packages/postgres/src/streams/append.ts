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
  const { events } = request;
  const data = new Array<string>(events.length);
  const metadata = new Array<string>(events.length);
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index] as AppendRequest['events'][number];
    data[index] = JSON.stringify(event.data);
    metadata[index] = JSON.stringify(event.metadata);
  }
  return { request, data, metadata };
}

/** The parameters of {@link appendStatement}. */
export function appendParams(encoded: EncodedAppend, lockKey: readonly [number, number]): unknown[] {
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
  const { streamId, streamType, events } = request;
  const positions = row.positions.split(',');
  const firstVersion = Number(row.version) - positions.length + 1;
  const recordedAt = Number(row.recorded_ms);
  const stored = new Array<StoredEvent>(events.length);
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index] as AppendRequest['events'][number];
    stored[index] = {
      // As a uuid column returns it, so the append result equals what reads return.
      eventId: event.eventId.toLowerCase(),
      streamId,
      streamType,
      type: event.type,
      version: firstVersion + index,
      position: Number(positions[index]),
      timestamp: new Date(event.recordedAt?.getTime() ?? recordedAt),
      data: JSON.parse(encoded.data[index] as string),
      metadata: JSON.parse(encoded.metadata[index] as string),
    };
  }
  return stored;
}
