import { NotSupportedError } from '../errors/consumer-errors.js';
import type { DocumentStore, EventStorage } from '../streams/event-storage.js';

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
