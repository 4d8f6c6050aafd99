import type { FailedEventRef } from '../errors/consumer-errors.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { EventStorage } from '../streams/event-storage.js';

/** The documents collection holding one failure record per failed consumer, keyed by checkpoint id. */
export const consumerFailures = 'hindsight.consumer-failures';

/** The documents collection of restart requests for failed consumers, keyed by checkpoint id. */
export const consumerRestarts = 'hindsight.consumer-restarts';

/**
 * What a consumer reports when it gives up: the event it stopped at (undefined when the failing
 * work was not tied to one event, e.g. a process manager's due commands), the last error and the
 * attempts made.
 *
 * @example
 * ```ts
 * const onError = ({ consumer, event, error, attempts }: ConsumerFailure) =>
 *   log.error(`${consumer} failed at ${event?.position} after ${attempts} attempts`, error);
 * ```
 */
export interface ConsumerFailure {
  /** The consumer's name. */
  readonly consumer: string;
  /** Its checkpoint id, the key of its record in the store. */
  readonly checkpointId: string;
  readonly event: FailedEventRef | undefined;
  readonly error: Error;
  readonly attempts: number;
  /** Its checkpoint when it failed: the failing event lies after it. */
  readonly position: number;
  readonly failedAt: Date;
  /** The lease owner that ran it, where the storage has leases. */
  readonly owner: string | undefined;
}

/**
 * A failure as the store keeps it, readable from another process (`hindsight consumers`, the
 * explorer): plain JSON, the error reduced to its name, code and message.
 *
 * @example
 * ```ts
 * for (const failure of await listConsumerFailures(store)) console.log(failure.checkpointId, failure.error.message);
 * ```
 */
export interface ConsumerFailureRecord {
  readonly consumer: string;
  readonly checkpointId: string;
  readonly state: 'failed';
  readonly position: number;
  readonly event: FailedEventRef | undefined;
  /** The handler's last error (for a `HANDLER_FAILED`, its cause), as plain data. */
  readonly error: { readonly name: string; readonly code: string | undefined; readonly message: string };
  readonly attempts: number;
  /** ISO 8601. */
  readonly failedAt: string;
  readonly owner: string | undefined;
}

/** The JSON record of a failure (undefined fields dropped, as JSON would). */
export function failureRecord(failure: ConsumerFailure): ConsumerFailureRecord {
  // A handler's failure is recorded as the handler's own error: event and attempts have fields.
  const error = unwrap(failure.error);
  const code = (error as { code?: unknown }).code;
  return {
    consumer: failure.consumer,
    checkpointId: failure.checkpointId,
    state: 'failed',
    position: failure.position,
    event: failure.event,
    error: { name: error.name, code: typeof code === 'string' ? code : undefined, message: error.message },
    attempts: failure.attempts,
    failedAt: failure.failedAt.toISOString(),
    owner: failure.owner,
  };
}

function unwrap(error: Error): Error {
  if (!isHindsightError(error, 'HANDLER_FAILED')) return error;
  const { cause } = error;
  return cause instanceof Error ? cause : new Error(String(cause));
}

/**
 * The failures recorded in the store: one per consumer that gave up and has not got past its
 * failing event since, ascending by checkpoint id. Empty on a storage without documents.
 *
 * @example
 * ```ts
 * const failed = await listConsumerFailures(store);
 * if (failed.length > 0) console.log(`${failed.length} consumer(s) failed`);
 * ```
 */
export async function listConsumerFailures<Tx>(store: {
  readonly storage: EventStorage<Tx>;
}): Promise<readonly ConsumerFailureRecord[]> {
  const { documents } = store.storage;
  if (documents === undefined) return [];
  const records: ConsumerFailureRecord[] = [];
  for (let after: string | undefined; ; ) {
    const page = await documents.list(consumerFailures, {
      ...(after === undefined ? {} : { after }),
      limit: 100,
    });
    for (const { value } of page) records.push(value as ConsumerFailureRecord);
    if (page.length < 100) return records;
    after = page.at(-1)?.key;
  }
}

/**
 * Asks the failed consumer `checkpointId` to start again, from another process (`hindsight
 * consumers --restart`): every runner of it that failed and is still in its process looks for
 * such a request every poll interval and, when one came after its failure, starts again at the
 * event it failed on. Returns false, writing nothing, when no failure of it is recorded.
 *
 * @example
 * ```ts
 * // After deploying a fix the handler needed, or repairing what it depends on:
 * await requestConsumerRestart(store, 'subscription:audit');
 * ```
 */
export async function requestConsumerRestart<Tx>(
  store: { readonly storage: EventStorage<Tx> },
  checkpointId: string,
  requestedAt: Date = new Date(),
): Promise<boolean> {
  const { documents } = store.storage;
  if (documents === undefined || (await documents.get(consumerFailures, checkpointId)) === undefined) {
    return false;
  }
  await documents.put(consumerRestarts, checkpointId, { requestedAt: requestedAt.toISOString() });
  return true;
}
