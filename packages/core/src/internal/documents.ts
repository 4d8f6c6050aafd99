import { NotSupportedError } from '../errors/consumer-errors.js';
import type { DocumentQuery, EventStorage, StoredDocument } from '../streams/event-storage.js';

/** The port's optional document methods, known to be present. */
export interface Documents<Tx> {
  get(collection: string, key: string, transaction?: Tx): Promise<StoredDocument | undefined>;
  put(collection: string, key: string, value: unknown, transaction?: Tx): Promise<void>;
  delete(collection: string, key: string, transaction?: Tx): Promise<void>;
  list(collection: string, query: DocumentQuery, transaction?: Tx): Promise<readonly StoredDocument[]>;
}

/** The storage's documents, or `NotSupportedError` naming `feature` when the adapter has none. */
export function requireDocuments<Tx>(storage: EventStorage<Tx>, feature: string): Documents<Tx> {
  const documents = documentsOf(storage);
  if (documents === undefined) {
    throw new NotSupportedError({
      feature,
      storage: storage.kind,
      missing: 'keyed documents (getDocument, putDocument, deleteDocument, listDocuments)',
    });
  }
  return documents;
}

/** The storage's documents, or undefined when the adapter has none. */
export function documentsOf<Tx>(storage: EventStorage<Tx>): Documents<Tx> | undefined {
  const { getDocument, putDocument, deleteDocument, listDocuments } = storage;
  if (
    getDocument === undefined ||
    putDocument === undefined ||
    deleteDocument === undefined ||
    listDocuments === undefined
  ) {
    return undefined;
  }
  return {
    get: (collection, key, transaction) => getDocument.call(storage, collection, key, transaction),
    put: (collection, key, value, transaction) =>
      putDocument.call(storage, collection, key, value, transaction),
    delete: (collection, key, transaction) => deleteDocument.call(storage, collection, key, transaction),
    list: (collection, query, transaction) => listDocuments.call(storage, collection, query, transaction),
  };
}

/** A fixed-width, zero-padded number, so numeric order and key order agree. */
export function sortableNumber(value: number): string {
  return String(value).padStart(16, '0');
}
