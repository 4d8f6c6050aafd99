/**
 * Pages of the global log as functions, so the planner settings can go with them: without
 * statistics (a freshly loaded table, autovacuum off or not yet run), PostgreSQL estimates a
 * position range at a few rows and picks a bitmap scan plus a sort of everything after the
 * checkpoint — each page then costs the rest of the log, and a catch-up turns quadratic. With
 * bitmap and sequential scans and sorts priced out, the only plan left walks an index in position
 * order and stops at the limit. `jit` is off because those prices would make every page compile.
 * Parameter names differ from the column names, which SQL functions would prefer.
 * Each page merges the hot table with the archive (two index walks in position order, merged):
 * archiving moves events, never takes them out of the log, so no consumer skips one.
 */
export function readAllFunctionsSql(schema: string): string {
  const settings = 'SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off';
  const filtered = (indexed: 'type' | 'stream_type', other: 'type' | 'stream_type'): string => `
CREATE OR REPLACE FUNCTION ${schema}.read_all_page_by_${indexed}(
  after_position bigint, up_to bigint, max_rows integer, indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE ${settings} AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    (SELECT * FROM ${schema}.events x
     WHERE x.${indexed} = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.${other} = ANY(other_values))
     ORDER BY x.position LIMIT max_rows)
    UNION ALL
    (SELECT * FROM ${schema}.archived_events x
     WHERE x.${indexed} = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.${other} = ANY(other_values))
     ORDER BY x.position LIMIT max_rows)
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;`;
  return `
CREATE OR REPLACE FUNCTION ${schema}.read_all_page(after_position bigint, up_to bigint, max_rows integer)
RETURNS SETOF ${schema}.events LANGUAGE sql STABLE ${settings} AS $page$
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
${filtered('type', 'stream_type')}
${filtered('stream_type', 'type')}
`;
}
