import type BetterSqlite3 from 'better-sqlite3';

export type DeleteCheckpoint = (consumerId: string) => void;

export function prepareDeleteCheckpoint(db: BetterSqlite3.Database): DeleteCheckpoint {
  const remove = db.prepare<[string]>('DELETE FROM hindsight_checkpoints WHERE consumer_id = ?');
  return (consumerId) => {
    remove.run(consumerId);
  };
}
