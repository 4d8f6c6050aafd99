import type BetterSqlite3 from 'better-sqlite3';

export type DeleteSnapshot = (streamId: string) => void;

export function prepareDeleteSnapshot(db: BetterSqlite3.Database): DeleteSnapshot {
  const remove = db.prepare<[string]>('DELETE FROM hindsight_snapshots WHERE stream_id = ?');
  return (streamId) => {
    remove.run(streamId);
  };
}
