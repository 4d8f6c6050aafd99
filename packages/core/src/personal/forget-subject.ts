import { NotSupportedError } from '../errors/consumer-errors.js';
import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { EventStorage } from '../streams/event-storage.js';
import {
  type ForgetContext,
  isSubjectId,
  type PersonalDataGuard,
  subjectStreams,
} from './personal-data-guard.js';

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
  /** How many `onForget` hooks ran. */
  readonly hooks: number;
}

/**
 * Forgets a data subject: deletes its keys first (from then on its personal fields read as
 * Forgotten, in every process once their key caches expire), then drops the snapshots of the
 * streams holding its events (they were folded from plaintext), then runs the `onForget` hooks so
 * read models erase their copies. The record of those streams stays (ids only): events appended for
 * the subject later, under a new key, are found by the next forget. Each step may run again, so a
 * forget that failed half-way is simply retried.
 */
export async function forgetSubject<Tx>(
  storage: EventStorage<Tx>,
  guard: PersonalDataGuard,
  subjectId: string,
  hooks: readonly ((context: ForgetContext<Tx>) => void | Promise<void>)[],
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
  for (const hook of hooks) await hook({ subjectId, streamIds, storage });
  return { subjectId, streamIds, snapshotsDropped, hooks: hooks.length };
}
