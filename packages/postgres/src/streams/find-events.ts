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

/**
 * What a refused append needs to know, in one statement and one snapshot: the stream's row (nulls
 * when there is no stream) and whether any of the append's event ids is stored already, in the
 * events or the archive (then the events are read with {@link findEventsStatement}: a retry of an
 * append that did commit). $1 stream id, $2 the append's event ids.
 */
export function refusalStatement(schema: string): Statement {
  return defineStatement(
    'append_refusal',
    `SELECT s.stream_type, s.version, s.status,
  (EXISTS (SELECT 1 FROM ${schema}.events e WHERE e.event_id = ANY($2::uuid[]))
    OR EXISTS (SELECT 1 FROM ${schema}.archived_events a WHERE a.event_id = ANY($2::uuid[])))::text AS stored
FROM (VALUES (1)) AS one (row) LEFT JOIN ${schema}.streams s ON s.stream_id = $1::text`,
  );
}

/** The row of {@link refusalStatement}, in text form: the stream's columns are null without a stream. */
export interface RefusalRow {
  readonly stream_type: string | null;
  readonly version: string | null;
  readonly status: string | null;
  /** `'true'` or `'false'`. */
  readonly stored: string;
}
