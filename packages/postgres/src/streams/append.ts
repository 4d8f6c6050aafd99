import type { AppendRequest, StoredEvent } from '@hindsight/core';
import { toArrayLiteral } from '../internal/array-literal.js';
import { epochMilliseconds } from '../internal/event-row.js';
import { positionSequence } from '../internal/position-lock.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * The whole append in one round trip: a call of `append_events` (migration 6, which explains the
 * statement). Parameters: $1 stream id, $2 stream type, $3 event count, $4 expected-version mode,
 * $5 exact version (or null), $6–$9 event ids, types, data and metadata as array literals,
 * $10–$11 the position lock key, $12 recording times (epoch milliseconds, null: now).
 */
function appendStatement(schema: string): Statement {
  return defineStatement(
    'append',
    `SELECT positions, version, recorded_ms FROM ${schema}.append_events($1::text, $2::text, $3::int,
  $4::text, $5::int, $6::uuid[], $7::text[], $8::text[], $9::text[], $10::int4, $11::int4, $12::int8[])`,
  );
}

/**
 * One-event appends, most of them, skip `append_events`: a plain statement per kind of expected
 * version, with scalar parameters, no arrays to unnest and no position array to build, and one
 * stream-row claim where `append_events` plans two. PostgreSQL settles on a generic plan for each
 * after its first executions (no parameter changes their shape, unlike `append_events`'s, which is
 * why that one is a function). The same steps, checks and result as `append_events`, for about
 * half its backend CPU per append, measured side by side (bench/README.md). Parameters: $1
 * stream id, $2 stream type, $3–$6 the event's id, type, data and metadata, $7–$8 the position
 * lock key, $9 its recording time (epoch milliseconds, null: now); `bump` takes $10, the exact
 * version the stream must be at (null for `stream_exists`).
 */
function oneEventStatement(schema: string, kind: 'bump' | 'create' | 'any'): Statement {
  const notArchived = `NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = $3::uuid)`;
  const insertStream = `INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1::text, $2::text, 1 WHERE ${notArchived}`;
  const claim = {
    bump: `UPDATE ${schema}.streams AS s SET version = s.version + 1
  WHERE s.stream_id = $1::text AND s.stream_type = $2::text AND s.status = 0
    AND ($10::int IS NULL OR s.version = $10::int) AND ${notArchived}`,
    create: `${insertStream}
  ON CONFLICT (stream_id) DO NOTHING`,
    any: `${insertStream}
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + 1
  WHERE s.stream_type = excluded.stream_type AND s.status = 0 AND ${notArchived}`,
  }[kind];
  return defineStatement(
    `append_one_${kind}`,
    `WITH stream AS (
  ${claim}
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($7::int4, $8::int4)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${positionSequence(schema)}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1::text, $2::text, c.version, $3::uuid, $4::text, $5::text::jsonb,
    $6::text::jsonb, coalesce(timestamptz 'epoch' + $9::int8 * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text AS positions, c.version, ${epochMilliseconds('c.recorded_at')} AS recorded_ms
FROM claimed c`,
  );
}

/** The statements of an append in its own statement. */
export interface AppendStatements {
  /** Any number of events: `append_events`. */
  readonly events: Statement;
  readonly oneEvent: { readonly bump: Statement; readonly create: Statement; readonly any: Statement };
}

export function appendStatements(schema: string): AppendStatements {
  return {
    events: appendStatement(schema),
    oneEvent: {
      bump: oneEventStatement(schema, 'bump'),
      create: oneEventStatement(schema, 'create'),
      any: oneEventStatement(schema, 'any'),
    },
  };
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
  const { oneEvent } = statements;
  const params = [
    request.streamId,
    request.streamType,
    event.eventId,
    event.type,
    encoded.data[0],
    encoded.metadata[0],
    ...lockKey,
    event.recordedAt?.getTime() ?? null,
  ];
  if (expectedVersion === 'any') return { statement: oneEvent.any, params };
  if (expectedVersion === 'no_stream' || expectedVersion === 0) return { statement: oneEvent.create, params };
  params.push(expectedVersion === 'stream_exists' ? null : expectedVersion);
  return { statement: oneEvent.bump, params };
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
