import { epochMilliseconds } from '../../internal/event-row.js';
import { positionSequence } from '../../internal/position-lock.js';

/**
 * `append_event`: `append_events` for one event, the append most commands make, with the same
 * steps, checks and result, but scalar arguments and a statement per expected-version kind: no
 * arrays to parse and unnest, no position array to build, and one stream-row claim instead of
 * two: about 30% less of the backend's CPU per one-event append than `append_events`, measured
 * side by side (bench/README.md, "Appends: where the time goes").
 *
 * Arguments: $1 stream id, $2 stream type, $3 expected-version mode (`any` | `no_stream` |
 * `stream_exists` | `exact`), $4 exact version (or null), $5 event id, $6 type, $7 data and
 * $8 metadata (JSON texts), $9–$10 the position lock key, $11 the recording time in epoch
 * milliseconds, or null for the append's own time. No row comes back when the stream or the event
 * id refused the append. A function with a generic plan, for the reason `append_events` is one.
 */
export function appendEventFunctionSql(schema: string): string {
  const notArchived = `NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = $5)`;
  const tail = `, locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($9, $10)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${positionSequence(schema)}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $5, $6, $7::jsonb, $8::jsonb,
    coalesce(timestamptz 'epoch' + $11 * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, ${epochMilliseconds('c.recorded_at')}
FROM claimed c;`;
  return `
CREATE OR REPLACE FUNCTION ${schema}.append_event(
  text, text, text, integer, uuid, text, text, text, integer, integer, bigint
) RETURNS TABLE (positions text, version integer, recorded_ms bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $append$
#variable_conflict use_column
BEGIN
IF $3 = 'stream_exists' OR ($3 = 'exact' AND $4 > 0) THEN
RETURN QUERY
WITH stream AS (
  UPDATE ${schema}.streams AS s SET version = s.version + 1
  WHERE s.stream_id = $1 AND s.stream_type = $2 AND s.status = 0
    AND ($3 = 'stream_exists' OR s.version = $4) AND ${notArchived}
  RETURNING s.version
)${tail}
ELSIF $3 = 'no_stream' OR ($3 = 'exact' AND $4 = 0) THEN
RETURN QUERY
WITH stream AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, 1 WHERE ${notArchived}
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING s.version
)${tail}
ELSIF $3 = 'any' THEN
RETURN QUERY
WITH stream AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, 1 WHERE ${notArchived}
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + 1
  WHERE s.stream_type = excluded.stream_type AND s.status = 0 AND ${notArchived}
  RETURNING s.version
)${tail}
END IF;
END
$append$;
`;
}
