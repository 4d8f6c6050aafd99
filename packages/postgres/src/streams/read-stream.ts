import type { StreamPageQuery } from '@hindsight/core';
import { eventColumns } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/** Forward and backward pages of one stream, both walking the unique (stream_id, version) index. */
export interface ReadStreamStatements {
  readonly forward: Statement;
  readonly backward: Statement;
}

/**
 * $1 stream id, $2 min version, $3 max version, $4 until (or `infinity`), $5 limit.
 * Versions are contiguous, so each page is bounded to exactly `limit` versions: the planner then
 * expects a page, not the rest of the stream, even while the table's statistics are stale (after
 * a bulk import, before ANALYZE), when it would otherwise read and sort the whole remainder.
 */
export function readStreamStatements(schema: string): ReadStreamStatements {
  const text = (range: string, order: 'ASC' | 'DESC'): string =>
    `SELECT ${eventColumns('e')} FROM ${schema}.events e
WHERE e.stream_id = $1::text AND ${range} AND e.recorded_at <= $4::timestamptz
ORDER BY e.version ${order} LIMIT $5::int`;
  const top = `LEAST($3::int, (SELECT s.version FROM ${schema}.streams s WHERE s.stream_id = $1::text))`;
  return {
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
