import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Establishing a read horizon (see `ReadHorizon`) and the head below it, one round trip: a call of
 * `read_horizon` (migration 12, which says why it is a function). The page is read by the next
 * statement, whose snapshot is taken after the lock.
 */
export interface ReadHorizonStatements {
  /** Waits for the lock, at most $4 milliseconds. */
  readonly wait: Statement;
  /** Takes the lock only if it is free at once: never queues (so never holds appends back). */
  readonly attempt: Statement;
}

/** $1 the horizon already safe, $2–$3 the position lock key; `wait`: $4 the lock timeout in ms. */
export function readHorizonStatements(schema: string): ReadHorizonStatements {
  const call = (waitMs: string) =>
    `SELECT last, settled, head FROM ${schema}.read_horizon($1::int8, $2::int4, $3::int4, ${waitMs})`;
  return {
    wait: defineStatement('read_horizon', call('$4::int4')),
    attempt: defineStatement('read_horizon_attempt', call('NULL')),
  };
}

/**
 * A row of either statement: h, whether it is now safe (null when the lock was skipped), and the
 * last committed position at or below h (null unless settled).
 */
export interface ReadHorizonRow {
  readonly last: string;
  readonly settled: 't' | 'f' | null;
  readonly head: string | null;
}
