import type { DocumentQuery, DocumentStore, StoredDocument } from '../streams/event-storage.js';
import type { InMemoryTransaction } from './in-memory-transaction.js';
import { compareCodePoints, deleted, jsonCopy, MemoryUnitOfWork } from './memory-unit-of-work.js';

/**
 * The in-memory storage's documents: committed ones here, a transaction's own in its unit of work
 * until {@link InMemoryDocuments.commit} applies them.
 */
export class InMemoryDocuments implements DocumentStore<InMemoryTransaction> {
  readonly #committed = new Map<string, Map<string, unknown>>();

  async get(
    collection: string,
    key: string,
    transaction?: InMemoryTransaction,
  ): Promise<StoredDocument | undefined> {
    const pending =
      transaction instanceof MemoryUnitOfWork ? transaction.documents.get(collection) : undefined;
    const value = pending?.has(key) ? pending.get(key) : this.#committed.get(collection)?.get(key);
    return value === undefined || value === deleted ? undefined : { key, value: jsonCopy(value) };
  }

  async put(
    collection: string,
    key: string,
    value: unknown,
    transaction?: InMemoryTransaction,
  ): Promise<void> {
    this.#stage(collection, key, jsonCopy(value), transaction);
  }

  async delete(collection: string, key: string, transaction?: InMemoryTransaction): Promise<void> {
    this.#stage(collection, key, deleted, transaction);
  }

  async list(
    collection: string,
    query: DocumentQuery,
    transaction?: InMemoryTransaction,
  ): Promise<readonly StoredDocument[]> {
    const merged = new Map(this.#committed.get(collection));
    if (transaction instanceof MemoryUnitOfWork) {
      for (const [key, value] of transaction.documents.get(collection) ?? []) merged.set(key, value);
    }
    const page: StoredDocument[] = [];
    for (const key of [...merged.keys()].sort(compareCodePoints)) {
      if (page.length >= query.limit) break;
      if (query.after !== undefined && compareCodePoints(key, query.after) <= 0) continue;
      if (query.upTo !== undefined && compareCodePoints(key, query.upTo) > 0) break;
      const value = merged.get(key);
      if (value !== deleted) page.push({ key, value: jsonCopy(value) });
    }
    return page;
  }

  /** Applies a committed unit of work's document writes. */
  commit(unit: MemoryUnitOfWork): void {
    for (const [collection, writes] of unit.documents) {
      for (const [key, value] of writes) this.#write(collection, key, value);
    }
  }

  #stage(
    collection: string,
    key: string,
    value: unknown,
    transaction: InMemoryTransaction | undefined,
  ): void {
    if (!(transaction instanceof MemoryUnitOfWork)) {
      this.#write(collection, key, value);
      return;
    }
    const writes = transaction.documents.get(collection) ?? new Map<string, unknown>();
    transaction.documents.set(collection, writes);
    writes.set(key, value);
  }

  #write(collection: string, key: string, value: unknown): void {
    const documents = this.#committed.get(collection) ?? new Map<string, unknown>();
    this.#committed.set(collection, documents);
    if (value === deleted) documents.delete(key);
    else documents.set(key, value);
  }
}
