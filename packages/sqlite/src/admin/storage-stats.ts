import type { StorageStats } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ReadStorageStats = () => StorageStats;

/** Streams and events counted from `hindsight_streams`: a stream at version v holds v events. */
export function prepareStorageStats(db: BetterSqlite3.Database): ReadStorageStats {
  const select = db
    .prepare<[], { streams: number; events: number }>(
      'SELECT count(*) AS streams, coalesce(sum(version), 0) AS events FROM hindsight_streams',
    )
    .safeIntegers(false);
  return () => {
    const row = select.get();
    return { streams: row?.streams ?? 0, events: row?.events ?? 0 };
  };
}
