import type BetterSqlite3 from 'better-sqlite3';

export type PutDocument = (collection: string, key: string, value: unknown, savedAt: number) => void;

export function preparePutDocument(db: BetterSqlite3.Database): PutDocument {
  const upsert = db.prepare<[string, string, string, number]>(
    'INSERT INTO hindsight_documents (collection, key, value, updated_at) VALUES (?, ?, ?, ?) ' +
      'ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  return (collection, key, value, savedAt) => {
    upsert.run(collection, key, JSON.stringify(value), savedAt);
  };
}
