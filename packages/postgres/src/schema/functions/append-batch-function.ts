import { epochMilliseconds } from '../../internal/event-row.js';
import { positionSequence } from '../../internal/position-lock.js';

/**
 * `append_events_batch`: several appends of distinct streams in one statement, so in one
 * transaction and one commit (group commit: the storage coalesces appends that arrive while others
 * are in flight). The same steps as `append_events`, set-based, so the executor's per-statement
 * work is paid once per batch, not once per append:
 * 1. claims every stream row, each append with its own expected-version check: `any` inserts or
 *    bumps a row of the same type, `no_stream` (or exact 0) only inserts, `stream_exists` and exact
 *    versions only bump a row at that version, and only of an open stream (a close or delete
 *    updates the same row, so none slips past it). An append whose check fails, or one of whose
 *    event ids is archived, claims nothing, gets no row back, and writes nothing; its neighbours go on;
 * 2. takes the position lock SHARED, held to commit, before any position (see `append_events`);
 * 3. takes one position per written event, in append order then event order;
 * 4. inserts all events in one multi-row insert.
 * The caller sends at most one append per stream: the steps read the rows as they were before the
 * statement, so a second append of a stream would not see the first. An error (a reused event id,
 * a payload jsonb refuses, a deadlock with another batch) fails the whole statement: the storage
 * then sends those appends one by one, so only the culprit fails.
 *
 * Arguments: $1 stream ids, $2 stream types, $3 event counts, $4 expected-version modes, $5 exact
 * versions (null where not exact), one element per append; $6–$9 event ids, types, data and
 * metadata, $12 recording times (epoch milliseconds or null), the events of all appends in order;
 * $10–$11 the position lock key. Returns, per written append, its 1-based index and `append_events`'
 * row. A function with a generic plan, for the reason `append_events` is one.
 */
export function appendBatchFunctionSql(schema: string): string {
  return `
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
  SELECT o.idx, o.ord, nextval(${positionSequence(schema)}) AS position
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
  ${epochMilliseconds('l.recorded_at')}
FROM claimed c JOIN numbered p ON p.idx = c.idx CROSS JOIN locked l
GROUP BY c.idx, c.version, l.recorded_at;
END
$batch$;
`;
}
