import { NotSupportedError } from '../errors/consumer-errors.js';
import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type { AppendResult, EventStorage, PreparedEvent } from '../streams/event-storage.js';
import {
  type ForgetContext,
  isSubjectId,
  type PersonalDataGuard,
  subjectStreams,
} from './personal-data-guard.js';

/**
 * The type of the event `store.forget(subjectId)` appends once the subject's key is gone, so
 * that every consumer with an `onForget` hook is told through its runner, in any process and on
 * every rebuild. It holds the subject id and stream ids only, never personal data.
 *
 * @example
 * ```ts
 * for await (const event of store.readAll()) {
 *   if (event.type === subjectForgottenType) console.log('forgot', forgottenSubjectOf(event)?.subjectId);
 * }
 * ```
 */
export const subjectForgottenType = '$SubjectForgotten';

/**
 * The system stream (and its stream type) holding the `$SubjectForgotten` events, one per forget.
 *
 * @example
 * ```ts
 * for await (const event of store.readStream(personalDataStream)) console.log(event.data);
 * ```
 */
export const personalDataStream = '$personal-data';

/**
 * The payload of a `$SubjectForgotten` event.
 *
 * @example
 * ```ts
 * const { subjectId, streamIds } = event.data as SubjectForgottenData;
 * ```
 */
export interface SubjectForgottenData {
  readonly subjectId: string;
  /** Streams recorded as holding the subject's events when it was forgotten. */
  readonly streamIds: readonly string[];
}

/**
 * What a consumer's `onForget` hook gets: the subject, the streams holding its events, and the
 * `$SubjectForgotten` event itself (its position, id and time).
 *
 * @example
 * ```ts
 * .onForget(({ subjectId }, { transaction }) => customers.erase(subjectId, transaction))
 * ```
 */
export interface SubjectForgetting {
  readonly subjectId: string;
  readonly streamIds: readonly string[];
  readonly event: StoredEvent<typeof subjectForgottenType, SubjectForgottenData>;
}

/**
 * What a `$SubjectForgotten` event records, else undefined: what `onForget` hooks get, read
 * from any event.
 *
 * @example
 * ```ts
 * const forgotten = forgottenSubjectOf(event);
 * if (forgotten) await searchIndex.erase(forgotten.subjectId);
 * ```
 */
export function forgottenSubjectOf(event: StoredEvent): SubjectForgetting | undefined {
  if (event.type !== subjectForgottenType || event.streamType !== personalDataStream) return undefined;
  const data = event.data as SubjectForgottenData;
  return {
    subjectId: data.subjectId,
    streamIds: data.streamIds,
    event: event as StoredEvent<typeof subjectForgottenType, SubjectForgottenData>,
  };
}

/**
 * What `store.forget(subjectId)` did.
 *
 * @example
 * ```ts
 * const { streamIds, snapshotsDropped } = await store.forget('c-1');
 * console.log(`forgot c-1: ${streamIds.length} streams, ${snapshotsDropped} snapshots dropped`);
 * ```
 */
export interface ForgetResult {
  readonly subjectId: string;
  /** Streams recorded as holding the subject's events: their personal fields now read as Forgotten. */
  readonly streamIds: readonly string[];
  /** How many of their snapshots were dropped (the rest had none). */
  readonly snapshotsDropped: number;
  /** How many `onForget` hooks of the store's options ran. */
  readonly hooks: number;
  /** The global position of the `$SubjectForgotten` event (wait for consumers to pass it). */
  readonly position: number;
}

/**
 * Forgets a data subject: deletes its keys first (from then on its personal fields read as
 * Forgotten, in every process once their key caches expire), then drops the snapshots of the
 * streams holding its events (they were folded from plaintext), then appends a `$SubjectForgotten`
 * event through `announce` (consumers' `onForget` hooks get it through their runners) and runs
 * the store's `onForget` hooks so read models erase their copies. The record of those streams stays (ids only): events appended for
 * the subject later, under a new key, are found by the next forget. Each step may run again, so a
 * forget that failed half-way is simply retried.
 */
export async function forgetSubject<Tx>(
  storage: EventStorage<Tx>,
  guard: PersonalDataGuard,
  subjectId: string,
  hooks: readonly ((context: ForgetContext<Tx>) => void | Promise<void>)[],
  announce: (event: PreparedEvent) => Promise<AppendResult>,
): Promise<ForgetResult> {
  if (!isSubjectId(subjectId)) {
    throw new InvalidArgumentError({
      argument: 'subjectId',
      value: subjectId,
      problem: 'must be a string of 1 to 256 characters without control characters',
    });
  }
  await guard.forgetKeys(subjectId);
  const { documents } = storage;
  const streamIds = documents === undefined ? [] : await subjectStreams(documents, subjectId);
  let snapshotsDropped = 0;
  if (streamIds.length > 0) {
    const { deleteSnapshot } = storage;
    if (deleteSnapshot === undefined) {
      throw new NotSupportedError({
        feature: `Dropping the snapshots of forgotten subject "${subjectId}"`,
        storage: storage.kind,
        missing: 'deleteSnapshot',
      });
    }
    for (const streamId of streamIds) {
      if ((await storage.loadSnapshot(streamId)) === undefined) continue;
      await deleteSnapshot.call(storage, streamId);
      snapshotsDropped += 1;
    }
  }
  // After the key is gone: a consumer told of the forget never reads the subject's data again.
  const data: SubjectForgottenData = { subjectId, streamIds };
  const { position } = await announce({
    eventId: globalThis.crypto.randomUUID(),
    type: subjectForgottenType,
    data,
    metadata: {},
  });
  for (const hook of hooks) await hook({ subjectId, streamIds, storage });
  return { subjectId, streamIds, snapshotsDropped, hooks: hooks.length, position };
}
