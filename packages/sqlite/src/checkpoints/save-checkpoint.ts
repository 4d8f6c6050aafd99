import type BetterSqlite3 from 'better-sqlite3';

export type SaveCheckpoint = (consumerId: string, position: number, savedAt: number) => void;

export function prepareSaveCheckpoint(db: BetterSqlite3.Database): SaveCheckpoint {
  const upsert = db.prepare<[string, number, number]>(
    'INSERT INTO hindsight_checkpoints (consumer_id, position, updated_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT (consumer_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at',
  );
  return (consumerId, position, savedAt) => {
    upsert.run(consumerId, position, savedAt);
  };
}
