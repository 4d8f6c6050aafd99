import { randomBytes } from 'node:crypto';
import type { DocumentStore } from '../streams/capabilities/documents.js';

/**
 * One key of a data subject: 32 random bytes for AES-256-GCM, and its id (stored in each envelope).
 *
 * @example
 * ```ts
 * const key: SubjectKey = { id: crypto.randomUUID(), key: crypto.getRandomValues(new Uint8Array(32)) };
 * ```
 */
export interface SubjectKey {
  readonly id: string;
  readonly key: Uint8Array;
}

/**
 * Where the keys of data subjects live. The default keeps them in the storage's documents
 * ({@link createDocumentKeyStore}); implement this to hold them in an external KMS or vault.
 * A subject may end up with several keys (two processes creating one at once): all are kept,
 * `create` never replaces one, and `delete` removes every one. Errors thrown here reach callers as
 * `SubjectKeyUnavailableError`.
 *
 * @example
 * ```ts
 * const keys: SubjectKeyStore = {
 *   get: (subject) => vault.list(`subjects/${subject}`),
 *   create: (subject) => vault.createKey(`subjects/${subject}`),
 *   delete: (subject) => vault.destroyAll(`subjects/${subject}`),
 * };
 * const store = createEventStore({ storage, events: [Customer], personalData: { keys } });
 * ```
 */
export interface SubjectKeyStore {
  /** Every key of the subject, oldest first by id; empty when it has none (never had, or forgotten). */
  get(subject: string): Promise<readonly SubjectKey[]>;
  /** Creates and stores a new key of the subject, leaving any other in place. */
  create(subject: string): Promise<SubjectKey>;
  /** Deletes every key of the subject for good. Deleting none is a no-op. */
  delete(subject: string): Promise<void>;
}

/**
 * The documents collection of {@link createDocumentKeyStore}: one document per key, keyed
 * `<subject>/<key id>`.
 *
 * @example
 * ```ts
 * const keys = await storage.documents!.list(subjectKeysCollection, { limit: 100 });
 * ```
 */
export const subjectKeysCollection = 'hindsight.subject-keys';

interface KeyDocument {
  readonly subject: string;
  readonly id: string;
  readonly key: string;
}

const pageSize = 100;

/**
 * The default key store: keys as documents (`hindsight.subject-keys`, one per key, keyed
 * `<subject>/<key id>`) of the storage's documents capability, so memory, SQLite, PostgreSQL and
 * PGlite need nothing else. Keys sit in the same database as the events: whoever copies the
 * database copies the keys; use an external KMS where that matters.
 *
 * @example
 * ```ts
 * const keys = createDocumentKeyStore(requireDocuments(storage));
 * ```
 */
export function createDocumentKeyStore(documents: DocumentStore<unknown>): SubjectKeyStore {
  const list = async (subject: string): Promise<KeyDocument[]> => {
    const prefix = `${subject}/`;
    const found: KeyDocument[] = [];
    let after = prefix;
    for (;;) {
      const page = await documents.list(subjectKeysCollection, {
        after,
        upTo: `${prefix}\u{10ffff}`,
        limit: pageSize,
      });
      for (const { key, value } of page) {
        // A subject "a" range also holds the keys of "a/b": keep only this subject's own.
        const document = value as KeyDocument;
        if (document.subject === subject && key === `${prefix}${document.id}`) found.push(document);
      }
      if (page.length < pageSize) return found;
      after = (page.at(-1) as { key: string }).key;
    }
  };
  return {
    async get(subject) {
      return (await list(subject)).map((document) => ({
        id: document.id,
        key: Buffer.from(document.key, 'base64'),
      }));
    },
    async create(subject) {
      // Time-ordered ids, so `get` returns the oldest key first and every process picks the same.
      const id = `${Date.now().toString(36).padStart(10, '0')}${randomBytes(8).toString('hex')}`;
      const key = randomBytes(32);
      await documents.put(subjectKeysCollection, `${subject}/${id}`, {
        subject,
        id,
        key: key.toString('base64'),
      } satisfies KeyDocument);
      return { id, key };
    },
    async delete(subject) {
      for (const document of await list(subject)) {
        await documents.delete(subjectKeysCollection, `${subject}/${document.id}`);
      }
    },
  };
}
