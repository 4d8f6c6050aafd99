import type { StoredCheckpoint } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ListCheckpoints = () => StoredCheckpoint[];

/** Every checkpoint, by consumer id (byte order, which is code point order). */
export function prepareListCheckpoints(db: BetterSqlite3.Database): ListCheckpoints {
  const select = db
    .prepare<[], { consumer_id: string; position: number }>(
      'SELECT consumer_id, position FROM hindsight_checkpoints ORDER BY consumer_id',
    )
    .safeIntegers(false);
  return () => select.all().map((row) => ({ consumerId: row.consumer_id, position: row.position }));
}
