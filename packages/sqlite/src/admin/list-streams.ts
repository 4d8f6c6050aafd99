import type { StreamInfo, StreamListQuery } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ListStreams = (query: StreamListQuery) => StreamInfo[];

type ListParameters = Record<string, string | number>;

/**
 * A page of `hindsight_streams`, walking its primary key in order (SQLite compares text as UTF-8
 * bytes: code point order). One statement per combination of filters, so each stays a range scan.
 */
export function prepareListStreams(db: BetterSqlite3.Database): ListStreams {
  const statement = (after: boolean, streamType: boolean) =>
    db
      .prepare<[ListParameters], { stream_id: string; stream_type: string; version: number }>(
        'SELECT stream_id, stream_type, version FROM hindsight_streams WHERE 1 = 1' +
          (after ? ' AND stream_id > @after' : '') +
          (streamType ? ' AND stream_type = @streamType' : '') +
          ' ORDER BY stream_id LIMIT @limit',
      )
      .safeIntegers(false);
  const statements = [
    statement(false, false),
    statement(true, false),
    statement(false, true),
    statement(true, true),
  ];
  return (query) => {
    const parameters: ListParameters = { limit: query.limit };
    if (query.after !== undefined) parameters.after = query.after;
    if (query.streamType !== undefined) parameters.streamType = query.streamType;
    const index = (query.after === undefined ? 0 : 1) + (query.streamType === undefined ? 0 : 2);
    return (statements[index] as (typeof statements)[number])
      .all(parameters)
      .map((row) => ({ streamId: row.stream_id, streamType: row.stream_type, version: row.version }));
  };
}
