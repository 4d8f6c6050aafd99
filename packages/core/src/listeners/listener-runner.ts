import type { FailedEventRef } from '../errors/consumer-errors.js';
import { InvalidArgumentError, isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { requireDocuments, sortableNumber } from '../internal/documents.js';
import { EventReader } from '../streams/event-reader.js';
import type { DocumentStore, EventStorage } from '../streams/event-storage.js';
import type { ReadableStore } from '../streams/event-store.js';
import { consumerCheckpointId } from '../subscriptions/checkpoint-id.js';
import {
  type Consumer,
  type ConsumerOptions,
  consumerOf,
  eventRef,
  type StartOptions,
} from '../subscriptions/consumer-runner.js';
import { createConsumerRunner } from '../subscriptions/partitioned-consumer.js';
import type { ListenerDefinition } from './define-listener.js';

/**
 * An event a listener gave up on after its last retry. The listener moved on; the record stays
 * until a retry succeeds.
 *
 * @example
 * ```ts
 * for (const letter of await runner.deadLetters()) console.log(letter.event.eventId, letter.error.message);
 * ```
 */
export interface DeadLetter {
  readonly listener: string;
  readonly event: FailedEventRef;
  /** Attempts so far, across the original run and later retries. */
  readonly attempts: number;
  /** The last error, as plain data. */
  readonly error: { readonly name: string; readonly message: string; readonly code: string | undefined };
  /** When the last attempt failed. */
  readonly failedAt: Date;
}

/**
 * What retrying dead letters did.
 *
 * @example
 * ```ts
 * const { succeeded, failed }: DeadLetterRetryResult = await runner.retryDeadLetters();
 * ```
 */
export interface DeadLetterRetryResult {
  /** Handled now; their dead letters are gone. */
  readonly succeeded: number;
  /** Failed again; their dead letters stay, with the new error. */
  readonly failed: number;
}

/**
 * A running listener: a consumer with dead letters.
 *
 * @example
 * ```ts
 * const runner: ListenerRunner = createListenerRunner(store, Receipts);
 * ```
 */
export interface ListenerRunner extends Consumer {
  /**
   * The dead letters, oldest event first.
   *
   * @example
   * ```ts
   * const letters = await runner.deadLetters({ limit: 50 });
   * ```
   */
  deadLetters(options?: { readonly limit?: number }): Promise<DeadLetter[]>;
  /**
   * Tries the dead letter of the event at `position` once more: true if it succeeded (the record
   * is removed), false if it failed again (the record keeps the new error).
   *
   * @example
   * ```ts
   * const ok = await runner.retryDeadLetter(letter.event.position);
   * ```
   */
  retryDeadLetter(position: number): Promise<boolean>;
  /**
   * Tries every dead letter once more, oldest first.
   *
   * @example
   * ```ts
   * const { succeeded, failed } = await runner.retryDeadLetters();
   * ```
   */
  retryDeadLetters(): Promise<DeadLetterRetryResult>;
}

interface DeadLetterRecord {
  readonly event: FailedEventRef;
  readonly attempts: number;
  readonly error: { readonly name: string; readonly message: string; readonly code?: string };
  readonly failedAt: string;
}

/**
 * Runs a listener after commit, at least once per event: a failing handler is retried with
 * backoff; after the last attempt the event becomes a dead letter and the listener moves on. Each
 * listener has its own runner and checkpoint, so one failing never holds up another (or writers).
 *
 * @example
 * ```ts
 * const runner = createListenerRunner(store, Receipts, { retry: { attempts: 5, initialDelayMs: 500 } });
 * await runner.start();
 * ```
 */
export function createListenerRunner<Tx>(
  store: ReadableStore<Tx>,
  listener: Pick<ListenerDefinition, 'name' | 'streamTypes' | 'types' | 'handle'>,
  options: ConsumerOptions & StartOptions = {},
): ListenerRunner {
  const reader = store.reader ?? EventReader.raw;
  const runner = createConsumerRunner(
    store.storage,
    {
      name: listener.name,
      checkpointId: consumerCheckpointId('listener', listener.name),
      types: listener.types,
      streamTypes: listener.streamTypes,
      startFrom: options.startFrom,
      reader,
      instrumentation: store.instrumentation,
    },
    {
      // Effects outside the storage cannot commit with the checkpoint: the effect goes first.
      delivery: 'at-least-once',
      applyEvent: (event, attempt) => listener.handle(event, { attempt }),
      async giveUp(event, error, attempts, transaction) {
        await documents.put(
          collection,
          sortableNumber(event.position),
          record(event, attempts, error),
          transaction,
        );
        return true;
      },
    },
    options,
  );
  // Its writes need the lease while it runs, so a listener that lost it moves nothing.
  const { storage } = runner;
  const documents = requireDocuments(storage, `Listener "${listener.name}"`);
  const collection = deadLetterCollection(listener.name);
  const clock = options.clock ?? (() => new Date());

  const retry = async (position: number): Promise<boolean> => {
    const key = sortableNumber(position);
    const stored = await documents.get(collection, key);
    if (stored === undefined) return true;
    const letter = stored.value as DeadLetterRecord;
    const event = await eventAt(reader, storage, position);
    const attempts = letter.attempts + 1;
    try {
      await listener.handle(event, { attempt: attempts });
    } catch (error) {
      await documents.put(collection, key, record(event, attempts, error));
      return false;
    }
    await documents.delete(collection, key);
    return true;
  };

  function record(event: StoredEvent, attempts: number, error: unknown): DeadLetterRecord {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    return {
      event: eventRef(event),
      attempts,
      error: { name, message, ...(isHindsightError(error) ? { code: error.code } : {}) },
      failedAt: clock().toISOString(),
    };
  }

  return {
    ...consumerOf(runner),
    async deadLetters(listOptions: { readonly limit?: number } = {}): Promise<DeadLetter[]> {
      const page = await documents.list(collection, { limit: listOptions.limit ?? 100 });
      return page.map(({ value }) => toDeadLetter(listener.name, value as DeadLetterRecord));
    },
    // Retries run between two of the loop's events, so a handler never runs twice at once.
    retryDeadLetter: (position: number) => runner.exclusive(() => retry(position)),
    retryDeadLetters: () =>
      runner.exclusive(async () => {
        let succeeded = 0;
        let failed = 0;
        for (const letter of await allLetters(documents, collection)) {
          if (await retry(letter.event.position)) succeeded += 1;
          else failed += 1;
        }
        return { succeeded, failed };
      }),
  };
}

/**
 * A listener's dead letters as the store keeps them, oldest event first, read without running the
 * listener (from another process: `hindsight consumers`, the explorer). Empty on a storage
 * without documents.
 *
 * @example
 * ```ts
 * const letters = await listDeadLetters(store, 'receipts');
 * console.log(`${letters.length} dead letter(s)`, letters[0]?.error.message);
 * ```
 */
export async function listDeadLetters<Tx>(
  store: { readonly storage: EventStorage<Tx> },
  listener: string,
): Promise<DeadLetter[]> {
  const { documents } = store.storage;
  if (documents === undefined) return [];
  const letters = await allLetters(documents as DocumentStore<unknown>, deadLetterCollection(listener));
  return letters.map((letter) => toDeadLetter(listener, letter));
}

function deadLetterCollection(listener: string): string {
  return `hindsight.dead-letters:${listener}`;
}

async function allLetters(
  documents: DocumentStore<unknown>,
  collection: string,
): Promise<DeadLetterRecord[]> {
  const letters: DeadLetterRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await documents.list(collection, { ...(after === undefined ? {} : { after }), limit: 100 });
    letters.push(...page.map(({ value }) => value as DeadLetterRecord));
    const last = page.at(-1);
    if (last === undefined || page.length < 100) return letters;
    after = last.key;
  }
}

async function eventAt(
  reader: EventReader,
  storage: EventStorage<unknown>,
  position: number,
): Promise<StoredEvent> {
  const {
    events: [event],
  } = await reader.globalPage(storage, { after: position - 1, upTo: position, limit: 1 });
  if (event === undefined || event.position !== position) {
    throw new InvalidArgumentError({
      argument: 'dead letter position',
      value: position,
      problem: 'no event there',
    });
  }
  return event;
}

function toDeadLetter(listener: string, letter: DeadLetterRecord): DeadLetter {
  return {
    listener,
    event: letter.event,
    attempts: letter.attempts,
    error: { name: letter.error.name, message: letter.error.message, code: letter.error.code },
    failedAt: new Date(letter.failedAt),
  };
}
