/**
 * `read_horizon`: establishing a read horizon (see `ReadHorizon`) and the head below it, in one
 * round trip. h, the last position handed out, is read FIRST; THEN the position lock is taken
 * exclusively, so it waits for every append that may hold a position at or below h (`wait_ms` is
 * the longest it waits, as `lock_timeout`; null: only try the lock, never queue behind it); THEN
 * the last committed position at or below h is read. A function, and a volatile one, because each
 * of its statements takes a snapshot of its own: the head is read after the lock was granted, as
 * a separate statement used to, which saves that statement's round trip on every live wake-up of a
 * consumer. The lock is skipped when h is not above `after` (nothing new to settle); it is
 * released when the calling statement ends (autocommit).
 * Returns h, whether it is settled (null when the lock was skipped), and the head (null unless
 * settled).
 */
export function readHorizonFunctionSql(schema: string): string {
  return `
CREATE OR REPLACE FUNCTION ${schema}.read_horizon(after_position bigint, key1 integer, key2 integer,
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
`;
}
