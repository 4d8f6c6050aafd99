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

/** The statement's parameters, and the JSON texts the stored events are rebuilt from. */
export interface EncodedAppend {
  readonly params: readonly unknown[];
  readonly data: readonly string[];
  readonly metadata: readonly string[];
}

export function encodeAppend(request: AppendRequest, lockKey: readonly [number, number]): EncodedAppend {
  const { expectedVersion, events } = request;
  const exact = typeof expectedVersion === 'number';
  const data = events.map((event) => JSON.stringify(event.data));
  const metadata = events.map((event) => JSON.stringify(event.metadata));
  const params = [
    request.streamId,
    request.streamType,
    events.length,
    exact ? 'exact' : expectedVersion,
    exact ? expectedVersion : null,
    toArrayLiteral(events.map((event) => event.eventId)),
    toArrayLiteral(events.map((event) => event.type)),
    toArrayLiteral(data),
    toArrayLiteral(metadata),
    ...lockKey,
    `{${events.map((event) => event.recordedAt?.getTime() ?? 'NULL').join(',')}}`,
  ];
  return { params, data, metadata };
}

/**
 * The stored events, rebuilt from the request and the one row the statement returns. Payloads
 * are parsed back from the JSON sent: a copy equal to what a read returns, which later changes to
 * the request cannot reach.
 */
export function appendedEvents(
  request: AppendRequest,
  encoded: EncodedAppend,
  row: AppendRow,
): StoredEvent[] {
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
