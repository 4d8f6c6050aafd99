import { ConcurrencyError, EventIdConflictError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type { AppendRequest, AppendResult, ExpectedVersion } from './event-storage.js';

/**
 * Throws `ConcurrencyError` unless a stream at `actualVersion` (0: no stream) satisfies `expected`.
 * For adapters that check versions in JavaScript inside their write transaction.
 *
 * @example
 * ```ts
 * checkExpectedVersionMatches('order-1', 'no_stream', 0); // passes
 * ```
 */
export function checkExpectedVersionMatches(
  streamId: string,
  expected: ExpectedVersion,
  actualVersion: number,
): void {
  if (!expectedVersionMatches(expected, actualVersion)) {
    throw new ConcurrencyError({ streamId, expectedVersion: expected, actualVersion });
  }
}

/**
 * Whether a stream at `actualVersion` satisfies `expected`.
 *
 * @example
 * ```ts
 * expectedVersionMatches('stream_exists', 3); // true
 * ```
 */
export function expectedVersionMatches(expected: ExpectedVersion, actualVersion: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actualVersion === 0;
    case 'stream_exists':
      return actualVersion > 0;
    default:
      return expected === actualVersion;
  }
}

/**
 * The idempotency rule. If none of the request's event ids is stored, returns undefined (append
 * normally). If all are, in this stream, in the same order and contiguous, the request is a retry
 * of an append that already succeeded: returns its original result, to be returned as is. Any
 * other overlap throws `EventIdConflictError`.
 *
 * @example
 * ```ts
 * const already = findAlreadyStored(request, (id) => storedById.get(id));
 * if (already) return already;
 * ```
 */
export function findAlreadyStored(
  request: AppendRequest,
  lookup: (eventId: string) => StoredEvent | undefined,
): AppendResult | undefined {
  const found = request.events.map((event) => lookup(event.eventId));
  const firstFound = found.findIndex((event) => event !== undefined);
  if (firstFound === -1) return undefined;
  const stored: StoredEvent[] = [];
  for (const [index, event] of found.entries()) {
    const eventId = request.events[index]?.eventId ?? '';
    if (event === undefined) {
      throw new EventIdConflictError({
        streamId: request.streamId,
        eventId: request.events[firstFound]?.eventId ?? eventId,
        problem: 'already stored, but other events of the same append are not: not a retry of one append',
      });
    }
    const previous = stored.at(-1);
    if (event.streamId !== request.streamId) {
      throw new EventIdConflictError({
        streamId: request.streamId,
        eventId,
        problem: `already stored in stream "${event.streamId}"`,
      });
    }
    if (
      event.type !== request.events[index]?.type ||
      (previous !== undefined && event.version !== previous.version + 1)
    ) {
      throw new EventIdConflictError({
        streamId: request.streamId,
        eventId,
        problem: 'already stored with another type or order: not a retry of the same append',
      });
    }
    stored.push(event);
  }
  const last = stored.at(-1) as StoredEvent;
  return {
    streamId: request.streamId,
    version: last.version,
    position: last.position,
    events: stored,
    alreadyStored: true,
  };
}
