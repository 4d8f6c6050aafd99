import type { AppendRequest, StoredEvent } from '@hindsight/core';
import { toArrayLiteral } from '../internal/array-literal.js';
import { positionSequence } from '../internal/position-lock.js';
import { defineStatement, type Statement } from '../internal/statement.js';
import { epochMilliseconds } from './event-row.js';

/**
 * The whole append in one statement (one round trip in autocommit):
 * 1. claims the stream row: inserts it when the expected version allows a new stream, else bumps
 *    its version only if the stream type and expected version match (the row lock makes this
 *    atomic: of concurrent writers expecting one version, exactly one updates the row);
 * 2. takes the position lock SHARED, held to commit (many appends hold it at once), BEFORE taking
 *    positions: a reader that saw a position handed out and then takes the lock exclusively waits
 *    for the append that holds it (see `ReadHorizon`). The positions depend on the lock's row, so
 *    `nextval` cannot run before it;
 * 3. takes one position per event from the sequence: increasing with the versions, not necessarily
 *    contiguous (other appends take theirs at the same time), all returned;
 * 4. inserts all events from parallel arrays (`unnest`), one multi-row insert.
 * It does not NOTIFY: PostgreSQL commits notifying transactions one at a time, which would cost
 * appends their group commit. The storage announces new heads after commit instead
 * (`AppendNotifier.announce`).
 * No row comes back when the stream refused the append; nothing is then written, and neither the
 * lock nor a position is taken.
 *
 * Parameters: $1 stream id, $2 stream type, $3 event count, $4 expected-version mode
 * (`any` | `no_stream` | `stream_exists` | `exact`), $5 exact version (or null), $6–$9 event ids,
 * types, data and metadata as array literals, $10–$11 the position lock key.
 */
export function appendStatement(schema: string): Statement {
  return defineStatement(
    'append',
    `WITH created AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1::text, $2::text, $3::int
  WHERE $4::text IN ('any', 'no_stream') OR ($4::text = 'exact' AND $5::int = 0)
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
  WHERE $4::text = 'any' AND s.stream_type = excluded.stream_type
  RETURNING s.version
), bumped AS (
  UPDATE ${schema}.streams AS s SET version = s.version + $3::int
  WHERE s.stream_id = $1::text AND s.stream_type = $2::text
    AND ($4::text = 'stream_exists' OR ($4::text = 'exact' AND $5::int > 0 AND s.version = $5::int))
  RETURNING s.version
), stream AS (
  SELECT version FROM created UNION ALL SELECT version FROM bumped
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($10::int4, $11::int4)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    (SELECT array_agg(n.position ORDER BY n.position)
     FROM (SELECT nextval(${positionSequence(schema)}) AS position
           FROM generate_series(1, $3::int) WHERE l.lock IS NOT NULL) n) AS positions
  FROM locked l
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.positions[e.ord], $1::text, $2::text, c.version - $3::int + e.ord,
    e.event_id, e.type, e.data::jsonb, e.metadata::jsonb, c.recorded_at
  FROM claimed c,
    unnest($6::uuid[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS e(event_id, type, data, metadata, ord)
)
SELECT array_to_string(c.positions, ',') AS positions, c.version,
  ${epochMilliseconds('c.recorded_at')} AS recorded_ms
FROM claimed c`,
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
    timestamp: new Date(recordedAt),
    data: JSON.parse(encoded.data[index] as string),
    metadata: JSON.parse(encoded.metadata[index] as string),
  }));
}
