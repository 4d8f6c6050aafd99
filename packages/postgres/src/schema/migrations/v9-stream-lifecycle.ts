import type { Migration } from './migration.js';

// Closed and deleted streams, and the archive. The status (0 open, 1 closed, 2 deleted) lives on
// the stream row that every append locks and updates, so a close (an update of that row) and an
// append serialize: no append lands after a close. It is a narrow column, and the rest (when,
// why, how much is archived) a table of its own, so the streams table stays as narrow as the
// planner's estimates of its listing pages assumed. The archive has the events table's columns in the same order, so the read
// functions return its rows as events; they are redefined here to read through it (see
// `readAllFunctionsSql` and `appendFunctionSql` for the current definitions).
export const migration9: Migration = {
  version: 9,
  name: 'stream lifecycle: closed and deleted streams, archived events',
  sql: (schema) => {
    const sequence = `'${`${schema}.event_position`.replaceAll("'", "''")}'::regclass`;
    return `
ALTER TABLE ${schema}.streams ADD COLUMN status smallint NOT NULL DEFAULT 0;
CREATE TABLE ${schema}.stream_lifecycle (
  stream_id text PRIMARY KEY,
  changed_at timestamptz,
  reason text,
  archived_up_to integer NOT NULL DEFAULT 0
);
CREATE TABLE ${schema}.archived_events (
  position bigint PRIMARY KEY,
  stream_id text NOT NULL,
  stream_type text NOT NULL,
  version integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT archived_events_stream_version_key UNIQUE (stream_id, version)
);
CREATE INDEX archived_events_type_position_idx ON ${schema}.archived_events (type, position);
CREATE INDEX archived_events_stream_type_position_idx ON ${schema}.archived_events (stream_type, position);
CREATE OR REPLACE FUNCTION ${schema}.read_all_page(after_position bigint, up_to bigint, max_rows integer)
RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off AS $page$
  SELECT * FROM (
    (SELECT * FROM ${schema}.events e
     WHERE e.position > after_position AND e.position <= up_to
     ORDER BY e.position LIMIT max_rows)
    UNION ALL
    (SELECT * FROM ${schema}.archived_events a
     WHERE a.position > after_position AND a.position <= up_to
     ORDER BY a.position LIMIT max_rows)
  ) u
  ORDER BY u.position LIMIT max_rows
$page$;

CREATE OR REPLACE FUNCTION ${schema}.read_all_page_by_type(
  after_position bigint, up_to bigint, max_rows integer, indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    (SELECT * FROM ${schema}.events x
     WHERE x.type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.stream_type = ANY(other_values))
     ORDER BY x.position LIMIT max_rows)
    UNION ALL
    (SELECT * FROM ${schema}.archived_events x
     WHERE x.type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.stream_type = ANY(other_values))
     ORDER BY x.position LIMIT max_rows)
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;

CREATE OR REPLACE FUNCTION ${schema}.read_all_page_by_stream_type(
  after_position bigint, up_to bigint, max_rows integer, indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    (SELECT * FROM ${schema}.events x
     WHERE x.stream_type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.type = ANY(other_values))
     ORDER BY x.position LIMIT max_rows)
    UNION ALL
    (SELECT * FROM ${schema}.archived_events x
     WHERE x.stream_type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.type = ANY(other_values))
     ORDER BY x.position LIMIT max_rows)
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;

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
END
$append$;
`;
  },
};
