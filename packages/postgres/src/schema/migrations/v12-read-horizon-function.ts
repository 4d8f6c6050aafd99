import type { Migration } from './migration.js';

// The read horizon and the head below it in one round trip (see `readHorizonFunctionSql` for the
// current definition and why it is a volatile function).
export const migration12: Migration = {
  version: 12,
  name: 'read horizon and head in one round trip',
  sql: (
    schema,
  ) => `CREATE OR REPLACE FUNCTION ${schema}.read_horizon(after_position bigint, key1 integer, key2 integer,
  wait_ms integer)
RETURNS TABLE (last bigint, settled boolean, head bigint) LANGUAGE plpgsql VOLATILE AS $horizon$
BEGIN
  SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END INTO last FROM ${schema}.event_position s;
  IF last > after_position THEN
    IF wait_ms IS NULL THEN
      settled := pg_try_advisory_xact_lock(key1, key2);
    ELSE
      PERFORM set_config('lock_timeout', wait_ms || 'ms', true);
      PERFORM pg_advisory_xact_lock(key1, key2);
      settled := true;
    END IF;
    IF settled THEN
      SELECT coalesce(max(e.position), 0) INTO head FROM ${schema}.events e WHERE e.position <= last;
    END IF;
  END IF;
  RETURN NEXT;
END
$horizon$;
`,
};
