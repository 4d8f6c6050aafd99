import type { Migration } from './migration.js';

// Partitioned reads: core's stream hash in SQL and the pages of one partition of the global log
// (see `partitionFunctionsSql` for the current definitions and why they have this shape).
export const migration11: Migration = {
  version: 11,
  name: 'pages of one partition of the global log, hashed as core hashes stream ids',
  sql: (schema) => `
CREATE OR REPLACE FUNCTION ${schema}.fnv1a(stream_id text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fnv$
DECLARE
  bytes bytea := convert_to(stream_id, 'UTF8');
  size integer := octet_length(bytes);
  hash bigint := 2166136261;
  i integer := 0;
  b integer;
  unit integer;
BEGIN
  IF size = char_length(stream_id) THEN
    FOR k IN 0 .. size - 1 LOOP
      hash := ((hash # get_byte(bytes, k)) * 16777619) & 4294967295;
    END LOOP;
    RETURN hash;
  END IF;
  WHILE i < size LOOP
    b := get_byte(bytes, i);
    IF b < 128 THEN
      unit := b;
      i := i + 1;
    ELSIF b < 224 THEN
      unit := ((b & 31) << 6) | (get_byte(bytes, i + 1) & 63);
      i := i + 2;
    ELSIF b < 240 THEN
      unit := ((b & 15) << 12) | ((get_byte(bytes, i + 1) & 63) << 6) | (get_byte(bytes, i + 2) & 63);
      i := i + 3;
    ELSE
      unit := ((b & 7) << 18) | ((get_byte(bytes, i + 1) & 63) << 12) | ((get_byte(bytes, i + 2) & 63) << 6)
        | (get_byte(bytes, i + 3) & 63);
      i := i + 4;
      hash := ((hash # (55232 + (unit >> 10))) * 16777619) & 4294967295;
      unit := 56320 + (unit & 1023);
    END IF;
    hash := ((hash # unit) * 16777619) & 4294967295;
  END LOOP;
  RETURN hash;
END
$fnv$;

CREATE OR REPLACE FUNCTION ${schema}.partition_of(stream_id text, partition_count integer) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $partition$
  SELECT (${schema}.fnv1a(stream_id) % partition_count)::integer
$partition$;

CREATE OR REPLACE FUNCTION ${schema}.read_partition_page(
  after_position bigint, up_to bigint, max_rows integer, partition_index integer, partition_count integer
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off SET max_parallel_workers_per_gather = 0 AS $page$
  SELECT * FROM (
    (SELECT e.* FROM ${schema}.events e CROSS JOIN LATERAL (SELECT ${schema}.partition_of(e.stream_id, partition_count) AS p OFFSET 0) h
     WHERE e.position > after_position AND e.position <= up_to AND h.p = partition_index
     ORDER BY e.position LIMIT max_rows)
    UNION ALL
    (SELECT a.* FROM ${schema}.archived_events a CROSS JOIN LATERAL (SELECT ${schema}.partition_of(a.stream_id, partition_count) AS p OFFSET 0) h
     WHERE a.position > after_position AND a.position <= up_to AND h.p = partition_index
     ORDER BY a.position LIMIT max_rows)
  ) u
  ORDER BY u.position LIMIT max_rows
$page$;

CREATE OR REPLACE FUNCTION ${schema}.read_partition_page_by_type(
  after_position bigint, up_to bigint, max_rows integer, partition_index integer, partition_count integer,
  indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off SET max_parallel_workers_per_gather = 0 AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    (SELECT x.* FROM ${schema}.events x CROSS JOIN LATERAL (SELECT ${schema}.partition_of(x.stream_id, partition_count) AS p OFFSET 0) h
     WHERE x.type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.stream_type = ANY(other_values)) AND h.p = partition_index
     ORDER BY x.position LIMIT max_rows)
    UNION ALL
    (SELECT x.* FROM ${schema}.archived_events x CROSS JOIN LATERAL (SELECT ${schema}.partition_of(x.stream_id, partition_count) AS p OFFSET 0) h
     WHERE x.type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.stream_type = ANY(other_values)) AND h.p = partition_index
     ORDER BY x.position LIMIT max_rows)
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;

CREATE OR REPLACE FUNCTION ${schema}.read_partition_page_by_stream_type(
  after_position bigint, up_to bigint, max_rows integer, partition_index integer, partition_count integer,
  indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off SET max_parallel_workers_per_gather = 0 AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    (SELECT x.* FROM ${schema}.events x CROSS JOIN LATERAL (SELECT ${schema}.partition_of(x.stream_id, partition_count) AS p OFFSET 0) h
     WHERE x.stream_type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.type = ANY(other_values)) AND h.p = partition_index
     ORDER BY x.position LIMIT max_rows)
    UNION ALL
    (SELECT x.* FROM ${schema}.archived_events x CROSS JOIN LATERAL (SELECT ${schema}.partition_of(x.stream_id, partition_count) AS p OFFSET 0) h
     WHERE x.stream_type = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.type = ANY(other_values)) AND h.p = partition_index
     ORDER BY x.position LIMIT max_rows)
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;
`,
};
