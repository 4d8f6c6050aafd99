import { toArrayLiteral } from '../internal/array-literal.js';
import { eventColumns } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Events by id (the unique event_id indexes of the events and the archive): what an append
 * refused because of its ids. $1 ids.
 */
export function findEventsStatement(schema: string): Statement {
  return defineStatement(
    'find_events',
    `SELECT ${eventColumns('e')} FROM ${schema}.events e WHERE e.event_id = ANY($1::uuid[])
UNION ALL
SELECT ${eventColumns('e')} FROM ${schema}.archived_events e WHERE e.event_id = ANY($1::uuid[])`,
  );
}

export function findEventsParams(eventIds: readonly string[]): unknown[] {
  return [toArrayLiteral(eventIds)];
}
