import type { Migration } from './migration.js';

// One-event appends get statements of their own, one per expected-version kind, inside the same
// `append_events` (same arguments, same result): no arrays to unnest and no position array to
// build for the append most commands make (see `appendFunctionSql` for the current definition).
export const migration12: Migration = {
  version: 12,
  name: 'one-event appends run a statement of their own per expected-version kind',
  sql: (schema) => {
    const sequence = `'${`${schema}.event_position`.replaceAll("'", "''")}'::regclass`;
    return `CREATE OR REPLACE FUNCTION ${schema}.append_events(
  text, text, integer, text, integer, uuid[], text[], text[], text[], integer, integer, bigint[]
) RETURNS TABLE (positions text, version integer, recorded_ms bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $append$
#variable_conflict use_column
BEGIN
IF $3 = 1 AND ($4 = 'stream_exists' OR ($4 = 'exact' AND $5 > 0)) THEN
RETURN QUERY
WITH stream AS (
  UPDATE ${schema}.streams AS s SET version = s.version + 1
  WHERE s.stream_id = $1 AND s.stream_type = $2 AND s.status = 0
    AND ($4 = 'stream_exists' OR s.version = $5) AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($10, $11)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${sequence}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $6[1], $7[1], $8[1]::jsonb, $9[1]::jsonb,
    coalesce(timestamptz 'epoch' + $12[1] * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
ELSIF $3 = 1 AND ($4 = 'no_stream' OR ($4 = 'exact' AND $5 = 0)) THEN
RETURN QUERY
WITH stream AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, 1 WHERE NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($10, $11)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${sequence}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $6[1], $7[1], $8[1]::jsonb, $9[1]::jsonb,
    coalesce(timestamptz 'epoch' + $12[1] * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
ELSIF $3 = 1 AND $4 = 'any' THEN
RETURN QUERY
WITH stream AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, 1 WHERE NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + 1
  WHERE s.stream_type = excluded.stream_type AND s.status = 0 AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  RETURNING s.version
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($10, $11)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    nextval(${sequence}) AS position
  FROM locked l WHERE l.lock IS NOT NULL
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT c.position, $1, $2, c.version, $6[1], $7[1], $8[1]::jsonb, $9[1]::jsonb,
    coalesce(timestamptz 'epoch' + $12[1] * interval '1 millisecond', c.recorded_at)
  FROM claimed c
)
SELECT c.position::text, c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
ELSE
RETURN QUERY
WITH created AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT $1, $2, $3
  WHERE ($4 IN ('any', 'no_stream') OR ($4 = 'exact' AND $5 = 0)) AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
  WHERE $4 = 'any' AND s.stream_type = excluded.stream_type AND s.status = 0 AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
  RETURNING s.version
), bumped AS (
  UPDATE ${schema}.streams AS s SET version = s.version + $3
  WHERE s.stream_id = $1 AND s.stream_type = $2 AND s.status = 0 AND NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($6))
    AND ($4 = 'stream_exists' OR ($4 = 'exact' AND $5 > 0 AND s.version = $5))
  RETURNING s.version
), stream AS (
  SELECT c.version FROM created c UNION ALL SELECT b.version FROM bumped b
), locked AS MATERIALIZED (
  SELECT s.version, pg_advisory_xact_lock_shared($10, $11)::text AS lock FROM stream s
), claimed AS MATERIALIZED (
  SELECT l.version, date_trunc('milliseconds', clock_timestamp()) AS recorded_at,
    (SELECT array_agg(n.position ORDER BY n.position)
     FROM (SELECT nextval(${sequence}) AS position
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
SELECT array_to_string(c.positions, ','), c.version, (extract(epoch FROM c.recorded_at) * 1000)::int8
FROM claimed c;
END IF;
END
$append$;
`;
  },
};
