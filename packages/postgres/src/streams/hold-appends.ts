import type { GlobalPageQuery, HeldLog, StoredEvent } from '@hindsight/core';
import type { Session } from '../internal/driver.js';
import { type EventRow, toStoredEvent } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';
import { type ReadAllStatements, readAllCall, readAllStatements } from './read-all.js';

/**
 * Statements of a transaction that holds appends back. Appends hold the position lock shared from
 * before they take positions until they commit; taking it exclusively waits every append in
 * flight out and keeps new ones from taking positions until the transaction ends. The log read in
 * statements after that is final: every position is settled, so no read horizon is needed.
 */
export interface HoldAppendsStatements {
  readonly lock: Statement;
  readonly head: Statement;
  /** The ordinary global-log pages: once held, every position below the head is settled. */
  readonly read: ReadAllStatements;
}

export function holdAppendsStatements(schema: string): HoldAppendsStatements {
  return {
    lock: defineStatement('hold_appends', 'SELECT pg_advisory_xact_lock($1::int4, $2::int4)::text AS locked'),
    head: defineStatement('held_head', `SELECT coalesce(max(position), 0) AS last FROM ${schema}.events`),
    read: readAllStatements(schema),
  };
}

/** Takes the position lock exclusively in the transaction of `session`; returns the final log. */
export async function holdAppends(
  session: Session,
  statements: HoldAppendsStatements,
  lockKey: readonly [number, number],
): Promise<HeldLog> {
  await session.run(statements.lock, [...lockKey]);
  return {
    async headPosition(): Promise<number> {
      const [row] = await session.run<{ last: string }>(statements.head, []);
      return Number(row?.last ?? 0);
    },
    async readAll(query: GlobalPageQuery): Promise<readonly StoredEvent[]> {
      const { statement, params } = readAllCall(statements.read, query);
      const rows = await session.run<EventRow>(statement, params);
      return rows.map(toStoredEvent);
    },
  };
}
