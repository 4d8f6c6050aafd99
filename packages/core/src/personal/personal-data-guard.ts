import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { EventValidationError, StoredEventInvalidError } from '../errors/hindsight-error.js';
import { SubjectKeyUnavailableError } from '../errors/personal-data-errors.js';
import type { StoredEvent } from '../events/event.js';
import { schemaVersionField } from '../events/evolving-schema.js';
import type { StandardSchemaV1 } from '../events/standard-schema.js';
import { isPlainObject } from '../internal/checks.js';
import type { DocumentStore } from '../streams/capabilities/documents.js';
import type { EventStorage } from '../streams/event-storage.js';
import type { PreparedEvent } from '../streams/storage-records.js';
import { forgottenValue, isForgotten, personalFieldsOf } from './personal-data.js';
import type { SubjectKey, SubjectKeyStore } from './subject-keys.js';

/**
 * The metadata field naming the data subject whose personal fields an event holds encrypted. The
 * read gate decrypts only events carrying it, so events without personal data cost nothing more.
 *
 * @example
 * ```ts
 * for await (const event of store.readAll()) if (event.metadata[subjectField] === 'c-1') count += 1;
 * ```
 */
export const subjectField = '$subject';

/**
 * How a personal value is stored: AES-256-GCM ciphertext of its JSON text under the key `kid` of
 * data subject `subject`, with a fresh 12-byte `iv`, the 16-byte authentication `tag`, all base64;
 * the additional authenticated data is `<subject>/<kid>`, so an envelope cannot be moved to
 * another subject. Exports and imports carry envelopes as they are.
 *
 * @example
 * ```ts
 * const stored = { $enc: 'v1', subject: 'c-1', kid: '…', iv: '…', tag: '…', data: '…' } satisfies EncryptedValue;
 * ```
 */
export interface EncryptedValue {
  readonly $enc: 'v1';
  readonly subject: string;
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

/**
 * Whether a stored value is an {@link EncryptedValue} envelope.
 *
 * @example
 * ```ts
 * const raw = (await storage.readStream('Customer-c1', { minVersion: 1, limit: 1 }))[0];
 * console.log(isEncryptedValue((raw?.data as { email?: unknown }).email));
 * ```
 */
export function isEncryptedValue(value: unknown): value is EncryptedValue {
  return (
    isPlainObject(value) &&
    value.$enc === 'v1' &&
    typeof value.subject === 'string' &&
    typeof value.kid === 'string' &&
    typeof value.iv === 'string' &&
    typeof value.tag === 'string' &&
    typeof value.data === 'string'
  );
}

/**
 * The documents collection recording which streams hold events of which subject (keyed
 * `<subject>/<stream id>`), so that `forget` finds the snapshots to drop.
 *
 * @example
 * ```ts
 * const streams = await storage.documents!.list(subjectStreamsCollection, { after: 'c-1/', upTo: 'c-1/\u{10ffff}', limit: 100 });
 * ```
 */
export const subjectStreamsCollection = 'hindsight.subject-streams';

/**
 * Options of a store's personal data (`createEventStore({ personalData })`).
 *
 * @example
 * ```ts
 * const store = createEventStore({
 *   storage,
 *   events: [Customer],
 *   personalData: { keyCacheMs: 10_000, onForget: [({ subjectId }) => customerRows.delete(subjectId)] },
 * });
 * ```
 */
export interface PersonalDataOptions<Tx = unknown> {
  /** Where subject keys live. Default: the storage's documents ({@link createDocumentKeyStore}). */
  readonly keys?: SubjectKeyStore;
  /**
   * How long a process keeps a subject's keys in memory, in ms (default 60 000). `forget` clears
   * them at once in the process that forgets; other processes drop theirs within this time.
   */
  readonly keyCacheMs?: number;
  /**
   * Called by `store.forget(subjectId)` after the key is gone and the snapshots are dropped: erase
   * every copy of the subject's data your read models, caches and search indexes hold.
   */
  readonly onForget?: readonly ((context: ForgetContext<Tx>) => void | Promise<void>)[];
}

/**
 * What an `onForget` hook is told.
 *
 * @example
 * ```ts
 * const eraseNames = async ({ subjectId, storage }: ForgetContext) => {
 *   await storage.documents?.delete('customer-names', subjectId);
 * };
 * ```
 */
export interface ForgetContext<Tx = unknown> {
  readonly subjectId: string;
  /** Streams holding events of the subject (as far as this store recorded them). */
  readonly streamIds: readonly string[];
  /** The storage, to erase read models kept in its documents or tables. */
  readonly storage: EventStorage<Tx>;
}

interface CachedKeys {
  readonly keys: readonly SubjectKey[];
  readonly until: number;
}

const maxCachedSubjects = 10_000;

/**
 * The store's crypto-shredding: encrypts personal fields of prepared events, decrypts them in the
 * read gate (or puts `Forgotten` placeholders where the key is gone), and forgets subjects.
 */
export class PersonalDataGuard {
  readonly #keys: () => SubjectKeyStore;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, CachedKeys>();
  /** Bumped by every forget, so a key fetch started before it cannot refill the cache after. */
  #generation = 0;

  constructor(keys: () => SubjectKeyStore, cacheMs: number) {
    this.#keys = keys;
    this.#cacheMs = cacheMs;
  }

  /** Encrypts the personal fields of prepared events whose schema (by type) declares some. */
  async encrypt(
    streamId: string,
    events: readonly PreparedEvent[],
    schemaOf: (type: string) => StandardSchemaV1 | undefined,
  ): Promise<PreparedEvent[]> {
    const result: PreparedEvent[] = [];
    for (const event of events) {
      const personal = personalFieldsOf(schemaOf(event.type));
      if (personal === undefined || !isPlainObject(event.data)) {
        result.push(event);
        continue;
      }
      const subject = checkSubject(streamId, event.type, () =>
        personal.subject(event.data, { streamId, type: event.type }),
      );
      const data: Record<string, unknown> = { ...event.data };
      let encrypted = false;
      for (const field of personal.fields) {
        // An envelope is already encrypted (events imported from an export): kept as it is.
        if (!Object.hasOwn(data, field) || data[field] === undefined) continue;
        if (isEncryptedValue(data[field])) {
          encrypted = true;
          continue;
        }
        const key = await this.#currentKey(subject);
        data[field] = seal(subject, key, data[field]);
        encrypted = true;
      }
      result.push(
        encrypted ? { ...event, data, metadata: { ...event.metadata, [subjectField]: subject } } : event,
      );
    }
    return result;
  }

  /** Decrypts a page of stored events; returns `events` itself when none holds personal data. */
  async decrypt(events: readonly StoredEvent[]): Promise<readonly StoredEvent[]> {
    let decrypted: StoredEvent[] | undefined;
    const fetched = new Set<string>();
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index] as StoredEvent;
      if (event.metadata[subjectField] === undefined || !isPlainObject(event.data)) {
        decrypted?.push(event);
        continue;
      }
      const data: Record<string, unknown> = { ...event.data };
      for (const [field, value] of Object.entries(data)) {
        if (!isEncryptedValue(value)) continue;
        const key = await this.#keyOf(value.subject, value.kid, fetched);
        data[field] = key === undefined ? forgottenValue(value.subject) : open(event, field, value, key);
      }
      decrypted ??= events.slice(0, index);
      decrypted.push({ ...event, data });
    }
    return decrypted ?? events;
  }

  /** Deletes every key of `subject` and its cached copy. */
  async forgetKeys(subject: string): Promise<void> {
    this.#generation += 1;
    this.#cache.delete(subject);
    try {
      await this.#keys().delete(subject);
    } catch (error) {
      throw new SubjectKeyUnavailableError({ subjectId: subject, operation: 'delete', cause: error });
    } finally {
      this.#cache.delete(subject);
    }
  }

  async #currentKey(subject: string): Promise<SubjectKey> {
    const existing = (await this.#cached(subject, false))[0];
    if (existing !== undefined) return existing;
    let created: SubjectKey;
    try {
      created = await this.#keys().create(subject);
    } catch (error) {
      throw new SubjectKeyUnavailableError({ subjectId: subject, operation: 'create', cause: error });
    }
    // Read back: if another process created one at the same time, every writer settles on the oldest.
    return (await this.#cached(subject, true))[0] ?? created;
  }

  /** The key `kid` of `subject`, fetching again (once per page) when the cache lacks it. */
  async #keyOf(subject: string, kid: string, fetched: Set<string>): Promise<SubjectKey | undefined> {
    let keys = await this.#cached(subject, false);
    let key = keys.find((candidate) => candidate.id === kid);
    if (key === undefined && !fetched.has(subject)) {
      fetched.add(subject);
      keys = await this.#cached(subject, true);
      key = keys.find((candidate) => candidate.id === kid);
    }
    return key;
  }

  async #cached(subject: string, refresh: boolean): Promise<readonly SubjectKey[]> {
    const now = Date.now();
    const hit = this.#cache.get(subject);
    if (!refresh && hit !== undefined && hit.until > now) return hit.keys;
    const generation = this.#generation;
    let keys: readonly SubjectKey[];
    try {
      keys = await this.#keys().get(subject);
    } catch (error) {
      throw new SubjectKeyUnavailableError({ subjectId: subject, operation: 'get', cause: error });
    }
    if (generation === this.#generation && this.#cacheMs > 0) {
      this.#cache.delete(subject);
      if (this.#cache.size >= maxCachedSubjects) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      this.#cache.set(subject, { keys, until: now + this.#cacheMs });
    }
    return keys;
  }
}

/**
 * Records, inside an append's transaction, which streams hold events of which subjects, so that
 * `forget` finds the snapshots to drop. `seen` skips pairs this process already recorded.
 */
export async function recordSubjectStreams<Tx>(
  documents: DocumentStore<Tx>,
  transaction: Tx,
  streamId: string,
  events: readonly { readonly metadata: Readonly<Record<string, unknown>> }[],
  seen: Set<string>,
): Promise<string[]> {
  const recorded: string[] = [];
  for (const event of events) {
    const subject = event.metadata[subjectField];
    if (typeof subject !== 'string') continue;
    const key = `${subject}/${streamId}`;
    if (seen.has(key) || recorded.includes(key)) continue;
    await documents.put(subjectStreamsCollection, key, { subject, streamId }, transaction);
    recorded.push(key);
  }
  return recorded;
}

/** The streams recorded as holding events of `subject`. */
export async function subjectStreams(documents: DocumentStore<unknown>, subject: string): Promise<string[]> {
  const prefix = `${subject}/`;
  const found: string[] = [];
  let after = prefix;
  for (;;) {
    const page = await documents.list(subjectStreamsCollection, {
      after,
      upTo: `${prefix}\u{10ffff}`,
      limit: 500,
    });
    for (const { value } of page) {
      const record = value as { subject?: unknown; streamId?: unknown };
      if (record.subject === subject && typeof record.streamId === 'string') found.push(record.streamId);
    }
    if (page.length < 500) return found;
    after = (page.at(-1) as { key: string }).key;
  }
}

/** Checks a subject id given to `forget`, or returned by a schema's `subject` function. */
export function isSubjectId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) return false;
  for (let index = 0; index < value.length; index += 1) {
    if (value.charCodeAt(index) < 0x20) return false;
  }
  return true;
}

function checkSubject(streamId: string, eventType: string, read: () => unknown): string {
  let subject: unknown;
  let problem: string | undefined;
  try {
    subject = read();
  } catch (error) {
    problem = `its subject function threw: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (problem === undefined && !isSubjectId(subject)) {
    problem = `the data subject id must be a string of 1 to 256 characters without control characters, got ${JSON.stringify(subject) ?? String(subject)}`;
  }
  if (problem !== undefined) {
    throw new EventValidationError({ streamId, eventType, issues: [{ path: '', message: problem }] });
  }
  return subject as string;
}

function seal(subject: string, key: SubjectKey, value: unknown): EncryptedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(`${subject}/${key.id}`, 'utf8'));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return {
    $enc: 'v1',
    subject,
    kid: key.id,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

function open(event: StoredEvent, field: string, value: EncryptedValue, key: SubjectKey): unknown {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(value.iv, 'base64'));
    decipher.setAAD(Buffer.from(`${value.subject}/${value.kid}`, 'utf8'));
    decipher.setAuthTag(Buffer.from(value.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(value.data, 'base64')), decipher.final()]);
    return JSON.parse(text.toString('utf8'));
  } catch (error) {
    const version = event.metadata[schemaVersionField];
    throw new StoredEventInvalidError({
      streamId: event.streamId,
      version: event.version,
      position: event.position,
      eventType: event.type,
      schemaVersion: typeof version === 'number' ? version : 1,
      issues: [{ path: field, message: 'cannot be decrypted with its subject key (altered or corrupt)' }],
      cause: error,
    });
  }
}

/** Whether a decoded value at `path` (or one of its parents) is a forgotten placeholder. */
export function isForgottenPath(data: unknown, path: readonly PropertyKey[]): boolean {
  let value = data;
  for (const segment of path) {
    if (isForgotten(value)) return true;
    if (typeof value !== 'object' || value === null) return false;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return isForgotten(value);
}
