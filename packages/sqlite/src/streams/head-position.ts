import type BetterSqlite3 from 'better-sqlite3';

export type ReadHeadPosition = () => number;

/** The last committed position: `max()` of the rowid is one step down the table's b-tree. */
export function prepareHeadPosition(db: BetterSqlite3.Database): ReadHeadPosition {
  const select = db
    .prepare<[], number>('SELECT coalesce(max(position), 0) FROM hindsight_events')
    .pluck()
    .safeIntegers(false);
  return () => select.get() ?? 0;
}
