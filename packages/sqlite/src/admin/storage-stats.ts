import type { StorageStats } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ReadStorageStats = () => StorageStats;

/**
 * Streams and events counted from `hindsight_streams`: a stream at version v holds v events, a
 * deleted one only its tombstone.
 */
export function prepareStorageStats(db: BetterSqlite3.Database): ReadStorageStats {
  const select = db
    .prepare<[], { streams: number; events: number }>(
      "SELECT count(*) AS streams, coalesce(sum(CASE WHEN status = 'deleted' THEN 1 ELSE version END), 0) AS events FROM hindsight_streams",
    )
    .safeIntegers(false);
  return () => {
    const row = select.get();
    return { streams: row?.streams ?? 0, events: row?.events ?? 0 };
  };
}
