import { NotSupportedError } from '../errors/consumer-errors.js';
import type { DocumentStore, EventStorage, StoredDocument } from '../streams/event-storage.js';

/** The storage's documents, or `NotSupportedError` naming `feature` when the adapter has none. */
export function requireDocuments<Tx>(storage: EventStorage<Tx>, feature: string): DocumentStore<Tx> {
  const { documents } = storage;
  if (documents === undefined) {
    throw new NotSupportedError({ feature, storage: storage.kind, missing: 'documents' });
  }
  return documents;
}

/** A fixed-width, zero-padded number, so numeric order and key order agree. */
export function sortableNumber(value: number): string {
  return String(value).padStart(16, '0');
}

/**
 * A collection's documents in key order, a page of `pageSize` at a time, up to `upTo` if given.
 * Each page is read when the one before is done with, so documents deleted meanwhile are not met.
 */
export async function* documentPages<Tx>(
  documents: DocumentStore<Tx>,
  collection: string,
  options: { readonly upTo?: string; readonly pageSize: number },
): AsyncGenerator<readonly StoredDocument[]> {
  let after: string | undefined;
  for (;;) {
    const page = await documents.list(collection, {
      ...(after === undefined ? {} : { after }),
      ...(options.upTo === undefined ? {} : { upTo: options.upTo }),
      limit: options.pageSize,
    });
    if (page.length > 0) yield page;
    after = page.at(-1)?.key;
    if (page.length < options.pageSize) return;
  }
}
