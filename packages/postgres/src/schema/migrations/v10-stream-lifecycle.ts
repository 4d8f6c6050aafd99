import type { Migration } from './migration.js';

// Closed and deleted streams, and the archive. The status (0 open, 1 closed, 2 deleted) lives on
// the stream row that every append locks and updates, so a close (an update of that row) and an
// append serialize: no append lands after a close. It is a narrow column, and the rest (when,
// why, how much is archived) a table of its own, so the streams table stays as narrow as the
// planner's estimates of its listing pages assumed. The archive has the events table's columns in the same order, so the read
// functions return its rows as events; they are redefined here to read through it (see
// `readAllFunctionsSql`, `appendFunctionSql` and `appendBatchFunctionSql` for the current
// definitions).
export const migration10: Migration = {
  version: 10,
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

CREATE OR REPLACE FUNCTION ${schema}.append_events_batch(
  text[], text[], integer[], text[], integer[], uuid[], text[], text[], text[], integer, integer, bigint[]
) RETURNS TABLE (append_index integer, positions text, version integer, recorded_ms bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $batch$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH numbered_request AS (
  SELECT r.idx::integer AS idx, r.stream_id, r.stream_type, r.n, r.mode, r.exact,
    (sum(r.n) OVER (ORDER BY r.idx) - r.n)::integer AS first_event
  FROM unnest($1, $2, $3, $4, $5) WITH ORDINALITY AS r(stream_id, stream_type, n, mode, exact, idx)
), request AS MATERIALIZED (
  SELECT q.* FROM numbered_request q
  WHERE NOT EXISTS (SELECT 1 FROM ${schema}.archived_events a
                    WHERE a.event_id = ANY($6[q.first_event + 1 : q.first_event + q.n]))
), created_any AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT q.stream_id, q.stream_type, q.n FROM request q WHERE q.mode = 'any' ORDER BY q.stream_id
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
  WHERE s.stream_type = excluded.stream_type AND s.status = 0
  RETURNING s.stream_id, s.version
), created_new AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT q.stream_id, q.stream_type, q.n FROM request q
  WHERE q.mode = 'no_stream' OR (q.mode = 'exact' AND q.exact = 0) ORDER BY q.stream_id
  ON CONFLICT (stream_id) DO NOTHING
  RETURNING s.stream_id, s.version
), bumped AS (
  UPDATE ${schema}.streams AS s SET version = s.version + q.n
  FROM request q
  WHERE s.stream_id = q.stream_id AND s.stream_type = q.stream_type AND s.status = 0
    AND (q.mode = 'stream_exists' OR (q.mode = 'exact' AND q.exact > 0 AND s.version = q.exact))
  RETURNING s.stream_id, s.version
), claimed AS MATERIALIZED (
  SELECT q.idx, q.n, q.first_event, q.stream_id, q.stream_type, w.version
  FROM (SELECT * FROM created_any UNION ALL SELECT * FROM created_new UNION ALL SELECT * FROM bumped) w
  JOIN request q ON q.stream_id = w.stream_id
), locked AS MATERIALIZED (
  SELECT pg_advisory_xact_lock_shared($10, $11)::text AS lock,
    date_trunc('milliseconds', clock_timestamp()) AS recorded_at
  WHERE EXISTS (SELECT FROM claimed)
), numbered AS MATERIALIZED (
  SELECT o.idx, o.ord, nextval(${sequence}) AS position
  FROM (SELECT c.idx, g.ord FROM claimed c, locked l, generate_series(1, c.n) AS g(ord)
        WHERE l.lock IS NOT NULL ORDER BY c.idx, g.ord) o
), written AS (
  INSERT INTO ${schema}.events
    (position, stream_id, stream_type, version, event_id, type, data, metadata, recorded_at)
  SELECT p.position, c.stream_id, c.stream_type, c.version - c.n + p.ord,
    e.event_id, e.type, e.data::jsonb, e.metadata::jsonb,
    coalesce(timestamptz 'epoch' + e.recorded_ms * interval '1 millisecond', l.recorded_at)
  FROM numbered p
    JOIN claimed c ON c.idx = p.idx
    CROSS JOIN locked l
    JOIN unnest($6, $7, $8, $9, $12) WITH ORDINALITY AS e(event_id, type, data, metadata, recorded_ms, k)
      ON e.k = c.first_event + p.ord
)
SELECT c.idx, string_agg(p.position::text, ',' ORDER BY p.ord), c.version,
  (extract(epoch FROM l.recorded_at) * 1000)::int8
FROM claimed c JOIN numbered p ON p.idx = c.idx CROSS JOIN locked l
GROUP BY c.idx, c.version, l.recorded_at;
END
$batch$;
`;
  },
};
