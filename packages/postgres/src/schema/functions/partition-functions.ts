/**
 * Partitioned pages of the global log, so a partition's runner reads only its own streams' events.
 *
 * `fnv1a(text)` is core's `fnv1a` in SQL: FNV-1a (32 bit) over the UTF-16 code units of the id,
 * which JavaScript hashes and PostgreSQL does not store. The id is hashed from its UTF-8 bytes
 * (`convert_to`, whatever the database encoding): an all-ASCII id (as many bytes as characters;
 * in a `SQL_ASCII` database every id counts as such, so non-ASCII ids hash apart from core's there)
 * hashes byte by byte; otherwise each character is decoded to its code point, and one above U+FFFF
 * hashes as its two surrogates, as in a JavaScript string. The 32-bit multiply runs in bigint,
 * masked to 32 bits (the product stays below 2^57). `partition_of(text, integer)` is core's
 * `partitionOf`.
 *
 * The hash costs about 0.05 µs per byte plus a PL/pgSQL call (see the package README), so the
 * pages compute it once per stream, not once per event: the hash is a LATERAL subquery of the
 * stream id, which the planner memoizes (a Memoize node keyed by the stream id) in the index walk.
 * The pages otherwise keep the shape and planner settings of `read_all_page*` (see
 * `readAllFunctionsSql`): the hot table merged with the archive, one index walk per filter value.
 * Parallel workers are off: a page stops at its limit, sooner than workers start.
 */
export function partitionFunctionsSql(schema: string): string {
  const settings =
    'SET enable_seqscan = off SET enable_bitmapscan = off SET enable_sort = off SET jit = off SET max_parallel_workers_per_gather = 0';
  const mine = (alias: string) =>
    `CROSS JOIN LATERAL (SELECT ${schema}.partition_of(${alias}.stream_id, partition_count) AS p OFFSET 0) h`;
  const filtered = (indexed: 'type' | 'stream_type', other: 'type' | 'stream_type'): string => `
CREATE OR REPLACE FUNCTION ${schema}.read_partition_page_by_${indexed}(
  after_position bigint, up_to bigint, max_rows integer, partition_index integer, partition_count integer,
  indexed_values text[], other_values text[]
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE ${settings} AS $page$
  SELECT e.* FROM unnest(indexed_values) AS f(value)
  CROSS JOIN LATERAL (
    (SELECT x.* FROM ${schema}.events x ${mine('x')}
     WHERE x.${indexed} = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.${other} = ANY(other_values)) AND h.p = partition_index
     ORDER BY x.position LIMIT max_rows)
    UNION ALL
    (SELECT x.* FROM ${schema}.archived_events x ${mine('x')}
     WHERE x.${indexed} = f.value AND x.position > after_position AND x.position <= up_to
       AND (other_values IS NULL OR x.${other} = ANY(other_values)) AND h.p = partition_index
     ORDER BY x.position LIMIT max_rows)
  ) e
  ORDER BY e.position LIMIT max_rows
$page$;`;
  return `
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
) RETURNS SETOF ${schema}.events LANGUAGE sql STABLE ${settings} AS $page$
  SELECT * FROM (
    (SELECT e.* FROM ${schema}.events e ${mine('e')}
     WHERE e.position > after_position AND e.position <= up_to AND h.p = partition_index
     ORDER BY e.position LIMIT max_rows)
    UNION ALL
    (SELECT a.* FROM ${schema}.archived_events a ${mine('a')}
     WHERE a.position > after_position AND a.position <= up_to AND h.p = partition_index
     ORDER BY a.position LIMIT max_rows)
  ) u
  ORDER BY u.position LIMIT max_rows
$page$;
${filtered('type', 'stream_type')}
${filtered('stream_type', 'type')}
`;
}
