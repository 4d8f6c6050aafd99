import type { StoredEvent } from '../events/event.js';
import {
  forgottenSubjectOf,
  personalDataStream,
  type SubjectForgetting,
  subjectForgottenType,
} from '../personal/forget-subject.js';
import { type StreamDeletion, streamDeletionOf } from '../streams/stream-lifecycle.js';

/**
 * A consumer's `onStreamDeleted` hook as a handler of the `$StreamDeleted` event, so that it is
 * routed, filtered and checkpointed like any handler.
 */
export function deletionHandler<Context, Result>(
  hook: (deletion: StreamDeletion, context: Context) => Result,
): (event: StoredEvent, context: Context) => Result {
  return (event, context) => hook(streamDeletionOf(event) as StreamDeletion, context);
}

/** A consumer's `onForget` hook as a handler of the `$SubjectForgotten` event. */
export function forgetHandler<Context, Result>(
  hook: (forgotten: SubjectForgetting, context: Context) => Result,
): (event: StoredEvent, context: Context) => Result {
  return (event, context) => hook(forgottenSubjectOf(event) as SubjectForgetting, context);
}

/**
 * The stream types a consumer reads: those of its catalogs, and the `$personal-data` stream's when
 * it handles forgets (its runner's read filter then lets the `$SubjectForgotten` events through).
 */
export function withSystemStreams(
  streamTypes: readonly string[],
  handlers: ReadonlyMap<string, unknown>,
): readonly string[] {
  return handlers.has(subjectForgottenType) && !streamTypes.includes(personalDataStream)
    ? [...streamTypes, personalDataStream]
    : streamTypes;
}
