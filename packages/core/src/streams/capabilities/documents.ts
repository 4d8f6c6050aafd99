/**
 * One JSON document of a keyed collection (see {@link DocumentStore.put}).
 *
 * @example
 * ```ts
 * const due: readonly StoredDocument[] = await storage.documents!.list('deadlines', { limit: 10 });
 * ```
 */
export interface StoredDocument {
  readonly key: string;
  /** Plain JSON, as saved. */
  readonly value: unknown;
}

/**
 * A range of one collection's keys, ascending. Keys compare by Unicode code point (UTF-8 byte
 * order; in SQL, `COLLATE "C"`), so fixed-width ASCII keys such as ISO dates sort as expected.
 *
 * @example
 * ```ts
 * const page = await storage.documents!.list('deadlines', { after: '2030-01-01', upTo: '2030-01-02', limit: 50 });
 * ```
 */
export interface DocumentQuery {
  /** Exclusive lower bound. */
  readonly after?: string;
  /** Inclusive upper bound. */
  readonly upTo?: string;
  readonly limit: number;
}

/**
 * The storage's keyed JSON documents, grouped in collections: the small state consumers keep
 * beside their checkpoint (process-manager state, scheduled commands, dead letters, projection
 * versions). An optional capability of the port (`EventStorage.documents`); features that need it
 * throw `NotSupportedError` on a storage without it.
 *
 * With `transaction`, reads see that transaction's own writes and writes commit or roll back with
 * it (and with checkpoints saved in it); without, each call stands alone. Values are plain JSON
 * and are returned as copies.
 *
 * @example
 * ```ts
 * const documents = storage.documents;
 * if (documents === undefined) throw new Error(`${storage.kind} keeps no documents`);
 * await storage.transaction(async (tx) => {
 *   await documents.put('carts', 'c-1', { items: 2 }, tx);
 *   await storage.saveCheckpoint('carts', 42, tx);
 * });
 * const cart = await documents.get('carts', 'c-1');
 * ```
 */
export interface DocumentStore<Tx> {
  get(collection: string, key: string, transaction?: Tx): Promise<StoredDocument | undefined>;
  /** Inserts or replaces the document at `key`. */
  put(collection: string, key: string, value: unknown, transaction?: Tx): Promise<void>;
  /** Removes the document at `key`; removing a missing key is a no-op. */
  delete(collection: string, key: string, transaction?: Tx): Promise<void>;
  /** Documents of a key range, ascending by key (see {@link DocumentQuery}). */
  list(collection: string, query: DocumentQuery, transaction?: Tx): Promise<readonly StoredDocument[]>;
}
