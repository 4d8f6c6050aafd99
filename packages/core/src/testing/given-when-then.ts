import assert from 'node:assert/strict';
import { createRepository } from '../aggregates/aggregate-repository.js';
import type { AggregateDefinition, CommandHandler, CommandInput } from '../aggregates/define-aggregate.js';
import { type HindsightErrorCode, isHindsightError } from '../errors/hindsight-error.js';
import type { EventSchemas, NewEventOf } from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';

/** An expected event: its type and payload (as stored, after schema parsing). */
export type ExpectedEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: { readonly type: Type; readonly data: SchemaOutput<Schemas[Type]> };
}[keyof Schemas & string];

/** What an error is expected to be: a Hindsight code, a command rejection reason, or a class. */
export type ExpectedError =
  | { readonly code: HindsightErrorCode }
  | { readonly reason: string }
  | (abstract new (
      ...args: never[]
    ) => Error);

/** The `when` step of a specification. */
export interface WhenStep<Schemas extends EventSchemas, State, Commands> {
  /** Runs one command against the state the given events produce. */
  when<Name extends keyof Commands & string>(
    command: Name,
    input: CommandInput<Commands[Name]>,
  ): ThenStep<Schemas, State>;
}

/** The then step (not named `then`, which would make it a thenable): what was emitted or how it failed. */
export interface ThenStep<Schemas extends EventSchemas, State> {
  /** Asserts the emitted events (type and data, in order); resolves to the state after them. */
  thenEvents(expected: readonly ExpectedEventOf<Schemas>[]): Promise<State>;
  /** Asserts that the command failed as described. */
  thenFails(expected: ExpectedError): Promise<void>;
}

/**
 * Given-when-then specifications for aggregates, run on a fresh in-memory store each time.
 * Assertions use `node:assert`, so they work with any test runner.
 *
 * @example
 * ```ts
 * const spec = aggregateSpec(Order);
 * await spec.given([{ type: 'OrderCreated', data: { items, total: 10 } }])
 *   .when('pay', { paymentId: 'p1' })
 *   .thenEvents([{ type: 'OrderPaid', data: { paymentId: 'p1' } }]);
 * await spec.given([]).when('ship', { trackingId: 't1' }).thenFails({ reason: 'ORDER_NOT_PAID' });
 * ```
 */
export function aggregateSpec<
  Name extends string,
  Schemas extends EventSchemas,
  State,
  Commands extends Readonly<Record<string, CommandHandler<State, Schemas>>>,
>(definition: AggregateDefinition<Name, Schemas, State, Commands>) {
  return {
    given(events: readonly NewEventOf<Schemas>[]): WhenStep<Schemas, State, Commands> {
      return {
        when(command, input) {
          const run = async () => {
            const store = createEventStore({ storage: createInMemoryStorage(), events: [definition] });
            const repository = createRepository(store, definition);
            const id = 'spec';
            if (events.length > 0) {
              await store.append(definition.streamIdOf(id), events as never, {
                streamType: definition.streamType,
              });
            }
            return repository.execute(id, command, input);
          };
          return {
            async thenEvents(expected) {
              const result = await run();
              assert.deepEqual(
                result.events.map((event) => ({ type: event.type, data: event.data })),
                expected,
              );
              return result.state;
            },
            async thenFails(expected) {
              await assert.rejects(run(), (error: unknown) => {
                if (typeof expected === 'function') {
                  assert.ok(error instanceof expected, `expected ${expected.name}, got ${String(error)}`);
                } else if ('code' in expected) {
                  assert.ok(
                    isHindsightError(error, expected.code),
                    `expected code ${expected.code}, got ${String(error)}`,
                  );
                } else {
                  assert.ok(
                    isHindsightError(error, 'COMMAND_REJECTED'),
                    `expected a rejection, got ${String(error)}`,
                  );
                  assert.equal(error.reason, expected.reason);
                }
                return true;
              });
            },
          };
        },
      };
    },
  };
}
