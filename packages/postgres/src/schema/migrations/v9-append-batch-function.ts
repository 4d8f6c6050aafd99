import type { Migration } from './migration.js';

// Group commit: several appends in one statement and one commit, each through append_events (see
// `appendBatchFunctionSql` for the current definition).
export const migration9: Migration = {
  version: 9,
  name: 'several appends in one statement (group commit)',
  sql: (schema) => `
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
`,
};
