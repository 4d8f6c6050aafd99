import type BetterSqlite3 from 'better-sqlite3';

export type LoadCheckpoint = (consumerId: string) => number | undefined;

export function prepareLoadCheckpoint(db: BetterSqlite3.Database): LoadCheckpoint {
  const select = db
    .prepare<[string], number>('SELECT position FROM hindsight_checkpoints WHERE consumer_id = ?')
    .pluck()
    .safeIntegers(false);
  return (consumerId) => select.get(consumerId);
}
