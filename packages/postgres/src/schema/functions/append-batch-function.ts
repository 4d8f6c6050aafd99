/**
 * `append_events_batch`: several appends in one statement, so in one transaction and one commit
 * (group commit: the storage coalesces appends that arrive while others are in flight). Each
 * append is one call of `append_events`, in the order given, so each keeps its own
 * expected-version check and sees the appends before it (two appends of one stream in one batch
 * behave as if sent one after the other). A refused append returns no row and writes nothing; its
 * neighbours go on. An error (a reused event id, a payload jsonb refuses) fails the whole
 * statement: the storage then sends those appends one by one, so only the culprit fails.
 *
 * Arguments: $1 stream ids, $2 stream types, $3 event counts, $4 expected-version modes, $5 exact
 * versions (null where not exact), one element per append; $6–$9 event ids, types, data and
 * metadata, $12 recording times, the events of all appends in order; $10–$11 the position lock key.
 * Returns the 1-based index of each written append with `append_events`' row.
 */
export function appendBatchFunctionSql(schema: string): string {
  return `
CREATE FUNCTION ${schema}.append_events_batch(
  text[], text[], integer[], text[], integer[], uuid[], text[], text[], text[], integer, integer, bigint[]
) RETURNS TABLE (append_index integer, positions text, version integer, recorded_ms bigint)
LANGUAGE plpgsql AS $batch$
DECLARE
  first_event integer := 1;
  last_event integer;
BEGIN
  FOR i IN 1 .. cardinality($1) LOOP
    last_event := first_event + $3[i] - 1;
    RETURN QUERY SELECT i, a.positions, a.version, a.recorded_ms
    FROM ${schema}.append_events($1[i], $2[i], $3[i], $4[i], $5[i],
      $6[first_event:last_event], $7[first_event:last_event], $8[first_event:last_event],
      $9[first_event:last_event], $10, $11, $12[first_event:last_event]) a;
    first_event := last_event + 1;
  END LOOP;
END
$batch$;
`;
}
