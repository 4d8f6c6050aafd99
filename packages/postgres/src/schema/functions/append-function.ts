import { epochMilliseconds } from '../../internal/event-row.js';
import { positionSequence } from '../../internal/position-lock.js';

/**
 * `append_events`: the whole append in one statement, run in the caller's transaction:
 * 1. claims the stream row: inserts it when the expected version allows a new stream, else bumps
 *    its version only if the stream is open and the stream type and expected version match (the
 *    row lock makes this atomic: of concurrent writers expecting one version, exactly one updates
 *    the row, and none after a close or delete, which update the same row);
 *    An id already in the archive refuses the append as an id in the events table does (its
 *    unique index covers only that table), so an event stays stored once after archiving;
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
 * Arguments: $1 stream id, $2 stream type, $3 event count, $4 expected-version mode
 * (`any` | `no_stream` | `stream_exists` | `exact`), $5 exact version (or null), $6–$9 event ids,
 * types, data and metadata, $10–$11 the position lock key, $12 each event's recording time in epoch
 * milliseconds, or null for the append's own time (imports carry their events' times over).
 *
 * A function so that its plan is made once per connection: sent as a statement, its arguments
 * made PostgreSQL plan it afresh on every call (a custom plan looked cheaper than the generic one
 * for the event counts and expected-version kinds it saw), which cost as much as running it.
 * `use_column`: the output columns share names with the streams table's.
 */
export function appendFunctionSql(schema: string): string {
  return `
CREATE OR REPLACE FUNCTION ${schema}.append_events(
  text, text, integer, text, integer, uuid[], text[], text[], text[], integer, integer, bigint[]
) RETURNS TABLE (positions text, version integer, recorded_ms bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $append$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH created AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, $3
  WHERE ($4 IN ('any', 'no_stream') OR ($4 = 'exact' AND $5 = 0))
    AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
  WHERE $4 = 'any' AND s.stream_type = excluded.stream_type AND s.status = 0
    AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  RETURNING s.version
), bumped AS (
  UPDATE ${schema}.streams AS s SET version = s.version + $3
  WHERE s.stream_id = $1 AND s.stream_type = $2 AND s.status = 0
    AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
    AND ($4 = 'stream_exists' OR ($4 = 'exact' AND $5 > 0 AND s.version = $5))
  RETURNING s.version
), stream AS (
  SELECT c.version FROM created c UNION ALL SELECT b.version FROM bumped b
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($10, $11)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    (SELECT array_agg(n.position ORDER BY n.position)
     FROM (SELECT nextval(${positionSequence(schema)}) AS position
           FROM generate_series(1, $3) WHERE l.lock IS NOT NULL) n) AS positions
  FROM locked l
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.positions[e.ord], $1, $2, c.version - $3 + e.ord::integer,
    e.event_id, e.type, e.data::jsonb, e.metadata::jsonb,
    coalesce(timestamptz 'epoch' + e.recorded_ms * interval '1 millisecond', c.recorded_at)
  FROM claimed c,
    unnest($6, $7, $8, $9, $12) WITH ORDINALITY AS e(event_id, type, data, metadata, recorded_ms, ord)
)
SELECT array_to_string(c.positions, ','), c.version, ${epochMilliseconds('c.recorded_at')}
FROM claimed c;
END
$append$;
`;
}
