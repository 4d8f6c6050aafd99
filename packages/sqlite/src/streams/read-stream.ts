import type { StoredEvent, StreamPageQuery } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';
import { type EventRow, eventColumns, toStoredEvent } from '../internal/event-row.js';

export type ReadStream = (streamId: string, query: StreamPageQuery) => StoredEvent[];

interface StreamPageParameters {
  readonly streamId: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly until: number;
  readonly limit: number;
}

/**
 * One page of a stream, served by the unique (stream_id, version) index in either direction, of
 * the hot table and the archive merged (archived events read as if never moved).
 */
export function prepareReadStream(db: BetterSqlite3.Database): ReadStream {
  const page = (order: 'ASC' | 'DESC') =>
    db
      .prepare<[StreamPageParameters], EventRow>(
        ['hindsight_events', 'hindsight_archived_events']
          .map(
            (table) =>
              `SELECT ${eventColumns} FROM ${table} ` +
              'WHERE stream_id = @streamId AND version BETWEEN @minVersion AND @maxVersion ' +
              'AND recorded_at <= @until',
          )
          .join(' UNION ALL ') + ` ORDER BY version ${order} LIMIT @limit`,
      )
      .safeIntegers(false);
  const forward = page('ASC');
  const backward = page('DESC');

  return (streamId, query) => {
    const statement = query.direction === 'forward' ? forward : backward;
    return statement
      .all({
        streamId,
        minVersion: query.minVersion ?? 1,
        maxVersion: query.maxVersion ?? Number.MAX_SAFE_INTEGER,
        until: query.until?.getTime() ?? Number.MAX_SAFE_INTEGER,
        limit: query.limit,
      })
      .map(toStoredEvent);
  };
}
