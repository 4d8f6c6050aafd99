import type { StoredDocument } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type GetDocument = (collection: string, key: string) => StoredDocument | undefined;

export function prepareGetDocument(db: BetterSqlite3.Database): GetDocument {
  const select = db
    .prepare<[string, string], string>(
      'SELECT value FROM hindsight_documents WHERE collection = ? AND key = ?',
    )
    .pluck();
  return (collection, key) => {
    const value = select.get(collection, key);
    return value === undefined ? undefined : { key, value: JSON.parse(value) };
  };
}
