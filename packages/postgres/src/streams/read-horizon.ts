import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Establishing a read horizon (see `ReadHorizon`), one round trip: h, the last position handed out,
 * is read FIRST (a MATERIALIZED CTE), THEN the position lock is taken exclusively on the rows of
 * that CTE, so the lock waits for every append that may hold a position at or below h. The lock is
 * skipped when h is not above $1 (nothing new to settle), and released when the statement ends
 * (autocommit). The page is read by the next statement, whose snapshot is taken after the lock.
 */
export interface ReadHorizonStatements {
  /** Waits for the lock, at most `lock_timeout` = $4 (milliseconds), set for this statement only. */
  readonly wait: Statement;
  /** Takes the lock only if it is free at once: never queues (so never holds appends back). */
  readonly attempt: Statement;
}

/** $1 the horizon already safe, $2–$3 the position lock key; `wait`: $4 the lock timeout in ms. */
export function readHorizonStatements(schema: string): ReadHorizonStatements {
  const last = `(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ${schema}.event_position)`;
  return {
    wait: defineStatement(
      'read_horizon',
      `WITH h AS MATERIALIZED (
  SELECT ${last} AS last, set_config('lock_timeout', $4::int || 'ms', true) AS lock_timeout
)
SELECT h.last,
  CASE WHEN h.last > $1::int8 THEN pg_advisory_xact_lock($2::int4, $3::int4)::text = '' END AS settled
FROM h`,
    ),
    attempt: defineStatement(
      'read_horizon_attempt',
      `WITH h AS MATERIALIZED (SELECT ${last} AS last)
SELECT h.last,
  CASE WHEN h.last > $1::int8 THEN pg_try_advisory_xact_lock($2::int4, $3::int4) END AS settled
FROM h`,
    ),
  };
}

/** A row of either statement: h, and whether it is now safe (null when the lock was skipped). */
export interface ReadHorizonRow {
  readonly last: string;
  readonly settled: 't' | 'f' | null;
}
