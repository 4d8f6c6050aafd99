import type { DocumentQuery, DocumentStore, StoredDocument } from '@hindsight/core';
import type { SqliteAccess } from '../internal/sqlite-access.js';
import type { SqliteTransaction } from '../sqlite-transaction.js';
import { prepareDeleteDocument } from './delete-document.js';
import { preparePutDocument } from './put-document.js';

/** The SQLite storage's documents, in the `hindsight_documents` table. */
export function createSqliteDocuments(access: SqliteAccess): DocumentStore<SqliteTransaction> {
  const put = preparePutDocument(access.db);
  const remove = prepareDeleteDocument(access.db);
  return {
    get: (
      collection: string,
      key: string,
      transaction?: SqliteTransaction,
    ): Promise<StoredDocument | undefined> =>
      access.readIn(transaction, (queries) => queries.getDocument(collection, key)),
    put: (collection: string, key: string, value: unknown, transaction?: SqliteTransaction): Promise<void> =>
      access.writeIn(transaction, () => put(collection, key, value, Date.now())),
    delete: (collection: string, key: string, transaction?: SqliteTransaction): Promise<void> =>
      access.writeIn(transaction, () => remove(collection, key)),
    list: (
      collection: string,
      query: DocumentQuery,
      transaction?: SqliteTransaction,
    ): Promise<readonly StoredDocument[]> =>
      access.readIn(transaction, (queries) => queries.listDocuments(collection, query)),
  };
}
