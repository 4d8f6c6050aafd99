import type { StreamInfo } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ReadStreamInfo = (streamId: string) => StreamInfo | undefined;

/** A stream's type and version from `hindsight_streams`, without touching its events. */
export function prepareStreamInfo(db: BetterSqlite3.Database): ReadStreamInfo {
  const select = db
    .prepare<[string], { stream_type: string; version: number }>(
      'SELECT stream_type, version FROM hindsight_streams WHERE stream_id = ?',
    )
    .safeIntegers(false);
  return (streamId) => {
    const row = select.get(streamId);
    return row === undefined ? undefined : { streamId, streamType: row.stream_type, version: row.version };
  };
}
