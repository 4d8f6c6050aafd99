import type { Migration } from './migration.js';

// Planner settings go with the functions: without statistics the planner would sort the rest of
// the log on every page (see `readAllFunctionsSql` for the current definition).
export const migration5: Migration = {
  version: 5,
  name: 'global log pages that walk an index in position order',
  sql: (schema) => `
CREATE FUNCTION ${schema}.read_all_page(after_position bigint, up_to bigint, max_rows integer)
RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off AS $page$
  SELECT * FROM ${schema}.events e
  WHERE e.position > after_position AND e.position <= up_to
  ORDER BY e.position LIMIT max_rows
$page$;

CREATE FUNCTION ${schema}.read_all_page_by_type(
  after_position bigint, up_to bigint, max_rows integer, indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    SELECT * FROM ${schema}.events x
    WHERE x.type = f.value AND x.position > after_position AND x.position <= up_to
      AND (other_values IS NULL OR x.stream_type = ANY(other_values))
    ORDER BY x.position LIMIT max_rows
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;

CREATE FUNCTION ${schema}.read_all_page_by_stream_type(
  after_position bigint, up_to bigint, max_rows integer, indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    SELECT * FROM ${schema}.events x
    WHERE x.stream_type = f.value AND x.position > after_position AND x.position <= up_to
      AND (other_values IS NULL OR x.type = ANY(other_values))
    ORDER BY x.position LIMIT max_rows
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;
`,
};
