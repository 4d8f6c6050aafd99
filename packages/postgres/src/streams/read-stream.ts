import type { StreamPageQuery } from '@hindsight/core';
import { eventColumns } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/** Forward and backward pages of one stream, all walking the unique (stream_id, version) index. */
export interface ReadStreamStatements {
  readonly forward: Statement;
  readonly backward: Statement;
  /** As of a time: pages not bounded to `limit` versions (see {@link readStreamStatements}). */
  readonly forwardUntil: Statement;
  readonly backwardUntil: Statement;
}

/**
 * $1 stream id, $2 min version, $3 max version, $4 until (or `infinity`), $5 limit.
 * Versions are contiguous, so each page is bounded to exactly `limit` versions: the planner then
 * expects a page, not the rest of the stream, even while the table's statistics are stale (after
 * a bulk import, before ANALYZE), when it would otherwise read and sort the whole remainder.
 * Reads as of a time cannot be bounded so: recording times need not follow versions (imports keep
 * theirs), so the `limit` events recorded by then may lie anywhere in the stream, and a page cut
 * to `limit` versions would come back short and end the read early.
 */
export function readStreamStatements(schema: string): ReadStreamStatements {
  // The hot table and the archive, each walked in version order up to the limit and merged (a
  // Merge Append, no sort): archived events read as if they had never moved.
  const arm = (table: string, range: string, order: 'ASC' | 'DESC'): string =>
    `(SELECT ${eventColumns('e')} FROM ${schema}.${table} e
WHERE e.stream_id = $1::text AND ${range} AND e.recorded_at <= $4::timestamptz
ORDER BY e.version ${order} LIMIT $5::int)`;
  const text = (range: string, order: 'ASC' | 'DESC'): string =>
    `SELECT * FROM (${arm('events', range, order)}
UNION ALL
${arm('archived_events', range, order)}) page
ORDER BY page.version ${order} LIMIT $5::int`;
  const top = `LEAST($3::int, (SELECT s.version FROM ${schema}.streams s WHERE s.stream_id = $1::text))`;
  return {
    forwardUntil: defineStatement(
      'read_stream_forward_until',
      text(`e.version BETWEEN $2::int AND ${top}`, 'ASC'),
    ),
    backwardUntil: defineStatement(
      'read_stream_backward_until',
      text(`e.version BETWEEN $2::int AND ${top}`, 'DESC'),
    ),
    forward: defineStatement(
      'read_stream_forward',
      text('e.version BETWEEN $2::int AND LEAST($3::int, $2::int + $5::int - 1)', 'ASC'),
    ),
    backward: defineStatement(
      'read_stream_backward',
      text(`e.version BETWEEN GREATEST($2::int, ${top} - $5::int + 1) AND ${top}`, 'DESC'),
    ),
  };
}

const maxVersion = 2 ** 31 - 1;

export function readStreamParams(streamId: string, query: StreamPageQuery): unknown[] {
  return [
    streamId,
    Math.max(query.minVersion ?? 1, 1),
    Math.min(query.maxVersion ?? maxVersion, maxVersion),
    query.until === undefined ? 'infinity' : query.until.toISOString(),
    query.limit,
  ];
}
