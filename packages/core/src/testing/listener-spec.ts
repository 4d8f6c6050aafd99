import assert from 'node:assert/strict';
import type { StoredEvent } from '../events/event.js';
import type { EventSchemas } from '../events/event-catalog.js';
import type { ListenerDefinition } from '../listeners/define-listener.js';
import { createListenerRunner } from '../listeners/listener-runner.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { type GivenEventOf, storeGiven } from './given-events.js';

/**
 * One handler call a listener spec saw: which event, which attempt, and whether it failed.
 *
 * @example
 * ```ts
 * const call: ListenerCall = { type: 'OrderShipped', streamId: 'Order-o1', attempt: 1, error: undefined };
 * ```
 */
export interface ListenerCall {
  readonly type: string;
  readonly streamId: string;
  readonly attempt: number;
  /** The error's message when this attempt failed. */
  readonly error: string | undefined;
}

/**
 * An event the listener gave up on, as a spec expects it: its type and stream, how many
 * attempts, and the last error's message (a string for equality, or a pattern).
 *
 * @example
 * ```ts
 * const expected: ExpectedDeadLetter = { type: 'OrderShipped', streamId: 'Order-o1', attempts: 3, error: /mailer down/ };
 * ```
 */
export interface ExpectedDeadLetter {
  readonly type: string;
  readonly streamId?: string;
  readonly attempts?: number;
  readonly error?: string | RegExp;
}

/**
 * What a listener did with the given events.
 *
 * @example
 * ```ts
 * const { calls, deadLetters } = await listenerSpec(Receipts).given(events).outcome();
 * ```
 */
export interface ListenerOutcome {
  /** Every handler call, in order, retries included. */
  readonly calls: readonly ListenerCall[];
  /** The events it gave up on after its last attempt. */
  readonly deadLetters: readonly {
    readonly type: string;
    readonly streamId: string;
    readonly attempts: number;
    readonly error: string;
  }[];
}

/**
 * Options of {@link listenerSpec}.
 *
 * @example
 * ```ts
 * listenerSpec(Receipts, { attempts: 5 });
 * ```
 */
export interface ListenerSpecOptions {
  /** Attempts per event before it becomes a dead letter (default 3); retried without delay. */
  readonly attempts?: number;
}

/**
 * The assertions of a listener spec (not named `then`, which would make it a thenable).
 *
 * @example
 * ```ts
 * await listenerSpec(Receipts).given(events).thenDeadLetters([{ type: 'OrderPaid', attempts: 3, error: /mailer down/ }]);
 * ```
 */
export interface ListenerThen {
  /** Asserts that every given event was handled without a dead letter (retries allowed). */
  thenSucceeds(): Promise<ListenerOutcome>;
  /** Asserts the dead letters left, in order of the events. */
  thenDeadLetters(expected: readonly ExpectedDeadLetter[]): Promise<ListenerOutcome>;
  /** Everything the listener did, for assertions of your own (e.g. on a fake mailer). */
  outcome(): Promise<ListenerOutcome>;
}

/**
 * Given-events-then-side-effects specifications for listeners. Runs the listener with the real
 * listener runner on a fresh in-memory store, as in production (at least once, retried, then
 * dead-lettered), without waiting between retries. Side effects are yours to observe: build the
 * listener with a fake (a mailer recording what it sent) and assert on it after the spec.
 *
 * @example
 * ```ts
 * const sent: string[] = [];
 * await listenerSpec(defineShippingNotifications((message) => void sent.push(message.orderId)))
 *   .given([{ streamId: 'Order-o1', type: 'OrderShipped', data: { trackingId: 't1' } }])
 *   .thenSucceeds();
 * assert.deepEqual(sent, ['o1']);
 * ```
 */
export function listenerSpec<Name extends string, Schemas extends EventSchemas>(
  listener: ListenerDefinition<Name, Schemas>,
  options: ListenerSpecOptions = {},
) {
  return {
    given(events: readonly GivenEventOf<Schemas>[]): ListenerThen {
      const run = async (): Promise<ListenerOutcome> => {
        const storage = createInMemoryStorage();
        const store = createEventStore({ storage, events: [] });
        try {
          const stored = await storeGiven(storage, events as readonly GivenEventOf<EventSchemas>[], listener);
          const calls: ListenerCall[] = [];
          const recording = {
            name: listener.name,
            streamTypes: listener.streamTypes,
            types: listener.types,
            async handle(event: StoredEvent, context: { readonly attempt: number }) {
              try {
                await listener.handle(event, context);
              } catch (error) {
                calls.push(callOf(event, context.attempt, error));
                throw error;
              }
              if (listener.types.includes(event.type) && listener.streamTypes.includes(event.streamType)) {
                calls.push(callOf(event, context.attempt, undefined));
              }
            },
          };
          const runner = createListenerRunner(store, recording, {
            retry: { attempts: options.attempts ?? 3, initialDelayMs: 0, maxDelayMs: 0 },
            lease: false,
          });
          await runner.start();
          try {
            await runner.waitUntilCaughtUp();
          } finally {
            await runner.stop();
          }
          const byPosition = new Map(stored.map((event) => [event.position, event]));
          const deadLetters = (await runner.deadLetters()).map((letter) => ({
            type: letter.event.type,
            streamId: byPosition.get(letter.event.position)?.streamId ?? letter.event.streamId,
            attempts: letter.attempts,
            error: letter.error.message,
          }));
          return { calls, deadLetters };
        } finally {
          await store.close();
        }
      };
      return {
        async thenSucceeds() {
          const outcome = await run();
          assert.deepStrictEqual(outcome.deadLetters, [], 'the listener gave up on some events');
          return outcome;
        },
        async thenDeadLetters(expected) {
          const outcome = await run();
          assert.equal(
            outcome.deadLetters.length,
            expected.length,
            `expected ${expected.length} dead letters, got ${JSON.stringify(outcome.deadLetters, null, 2)}`,
          );
          outcome.deadLetters.forEach((letter, index) => {
            const wanted = expected[index];
            if (wanted === undefined) return;
            const { error, ...fields } = wanted;
            const comparable = Object.fromEntries(
              Object.keys(fields).map((field) => [field, letter[field as keyof typeof letter]]),
            );
            assert.deepStrictEqual(comparable, fields, `dead letter ${index} differs`);
            if (typeof error === 'string') assert.equal(letter.error, error, `error of dead letter ${index}`);
            else if (error !== undefined) assert.match(letter.error, error, `error of dead letter ${index}`);
          });
          return outcome;
        },
        outcome: run,
      };
    },
  };
}

function callOf(event: StoredEvent, attempt: number, error: unknown): ListenerCall {
  return {
    type: event.type,
    streamId: event.streamId,
    attempt,
    error: error === undefined ? undefined : error instanceof Error ? error.message : String(error),
  };
}
