import type BetterSqlite3 from 'better-sqlite3';

export type DeleteDocument = (collection: string, key: string) => void;

export function prepareDeleteDocument(db: BetterSqlite3.Database): DeleteDocument {
  const remove = db.prepare<[string, string]>(
    'DELETE FROM hindsight_documents WHERE collection = ? AND key = ?',
  );
  return (collection, key) => {
    remove.run(collection, key);
  };
}
