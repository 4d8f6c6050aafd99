import type { Migration } from './migration.js';

// One-event appends, most of them, get a function of their own with scalar arguments and a
// statement per expected-version kind (see `appendEventFunctionSql` for the current definition
// and the measurements behind it).
export const migration12: Migration = {
  version: 12,
  name: 'append_event: one-event appends with scalar arguments',
  sql: (schema) => {
    const sequence = `'${`${schema}.event_position`.replaceAll("'", "''")}'::regclass`;
    return `CREATE OR REPLACE FUNCTION ${schema}.append_event(
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
    AND ($3 = 'stream_exists' OR s.version = $4) AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = $5)
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($9, $10)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${sequence}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $5, $6, $7::jsonb, $8::jsonb,
    coalesce(timestamptz 'epoch' + $11 * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
ELSIF $3 = 'no_stream' OR ($3 = 'exact' AND $4 = 0) THEN
RETURN QUERY
WITH stream AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, 1 WHERE NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = $5)
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($9, $10)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${sequence}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $5, $6, $7::jsonb, $8::jsonb,
    coalesce(timestamptz 'epoch' + $11 * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
ELSIF $3 = 'any' THEN
RETURN QUERY
WITH stream AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, 1 WHERE NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = $5)
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + 1
  WHERE s.stream_type = excluded.stream_type AND s.status = 0 AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = $5)
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($9, $10)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${sequence}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $5, $6, $7::jsonb, $8::jsonb,
    coalesce(timestamptz 'epoch' + $11 * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
END IF;
END
$append$;
`;
  },
};
