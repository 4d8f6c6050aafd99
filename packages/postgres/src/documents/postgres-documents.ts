import type { DocumentQuery, DocumentStore, StoredDocument } from '@hindsight/core';
import { type Session, sessionOf } from '../internal/driver.js';
import type { StorageContext } from '../internal/storage-context.js';
import type { PostgresTransaction } from '../postgres-transaction.js';
import { deleteDocumentStatement } from './delete-document.js';
import { type DocumentRow, getDocumentStatement } from './get-document.js';
import { listDocumentsCall, listDocumentsStatements } from './list-documents.js';
import { putDocumentStatement } from './put-document.js';

/** The PostgreSQL storage's documents, rows of the `documents` table. */
export function createPostgresDocuments<Client>(
  context: StorageContext,
): DocumentStore<PostgresTransaction<Client>> {
  const statements = {
    get: getDocumentStatement(context.quoted),
    put: putDocumentStatement(context.quoted),
    delete: deleteDocumentStatement(context.quoted),
    list: listDocumentsStatements(context.quoted),
  };
  // In the given transaction, else on its own (autocommit).
  const session = (transaction: PostgresTransaction<Client> | undefined): Session => {
    context.ensureOpen();
    return transaction === undefined ? context.driver : sessionOf(transaction);
  };
  return {
    async get(collection, key, transaction): Promise<StoredDocument | undefined> {
      const [row] = await session(transaction).run<DocumentRow>(statements.get, [collection, key]);
      return row === undefined ? undefined : toDocument(row);
    },
    async put(collection, key, value, transaction): Promise<void> {
      await session(transaction).run(statements.put, [collection, key, JSON.stringify(value)]);
    },
    async delete(collection, key, transaction): Promise<void> {
      await session(transaction).run(statements.delete, [collection, key]);
    },
    async list(collection, query: DocumentQuery, transaction): Promise<readonly StoredDocument[]> {
      const { statement, params } = listDocumentsCall(statements.list, collection, query);
      const rows = await session(transaction).run<DocumentRow>(statement, params);
      return rows.map(toDocument);
    },
  };
}

function toDocument(row: DocumentRow): StoredDocument {
  return { key: row.key, value: JSON.parse(row.value) };
}
