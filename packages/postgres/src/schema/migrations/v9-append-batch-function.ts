import type { Migration } from './migration.js';

// Group commit: several appends of distinct streams in one statement and one commit, set-based
// (see `appendBatchFunctionSql` for the current definition).
export const migration9: Migration = {
  version: 9,
  name: 'several appends in one statement (group commit)',
  sql: (schema) => {
    const sequence = `'${`${schema}.event_position`.replaceAll("'", "''")}'::regclass`;
    return `
CREATE FUNCTION ${schema}.append_events_batch(
  text[], text[], integer[], text[], integer[], uuid[], text[], text[], text[], integer, integer, bigint[]
) RETURNS TABLE (append_index integer, positions text, version integer, recorded_ms bigint)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $batch$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH request AS MATERIALIZED (
  SELECT r.idx::integer AS idx, r.stream_id, r.stream_type, r.n, r.mode, r.exact,
    (sum(r.n) OVER (ORDER BY r.idx) - r.n)::integer AS first_event
  FROM unnest($1, $2, $3, $4, $5) WITH ORDINALITY AS r(stream_id, stream_type, n, mode, exact, idx)
), created_any AS (
  INSERT INTO ${schema}.streams AS s (stream_id, stream_type, version)
  SELECT q.stream_id, q.stream_type, q.n FROM request q WHERE q.mode = 'any' ORDER BY q.stream_id
  ON CONFLICT (stream_id) DO UPDATE SET version = s.version + excluded.version
  WHERE s.stream_type = excluded.stream_type
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
  WHERE s.stream_id = q.stream_id AND s.stream_type = q.stream_type
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
