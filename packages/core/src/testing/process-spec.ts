import assert from 'node:assert/strict';
import type { CommandInput } from '../aggregates/define-aggregate.js';

import type { StoredEvent } from '../events/event.js';
import type { EventSchemas } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import type {
  CommandRejection,
  CommandTarget,
  ProcessContext,
  ProcessDefinition,
  ScheduleOptions,
} from '../processes/define-process.js';
import { checkCommand, dueDate } from '../processes/process-manager.js';
import { eventRef } from '../subscriptions/consumer-runner.js';
import { type GivenEventOf, storeGiven } from './given-events.js';
import type { ExpectedError } from './given-when-then.js';
import { expectFailure } from './projection-spec.js';

/**
 * A command a process issued, typed by its targets: discriminated by `aggregate` and `command`.
 *
 * @example
 * ```ts
 * const ship: IssuedCommandOf<[typeof Shipment]> = { aggregate: 'Shipment', id: 'o1', command: 'prepare', input: { orderId: 'o1' } };
 * ```
 */
export type IssuedCommandOf<Targets extends readonly CommandTarget[]> = {
  [Index in keyof Targets]: Targets[Index] extends CommandTarget
    ? {
        [Command in keyof Targets[Index]['commands'] & string]: {
          readonly aggregate: Targets[Index]['name'];
          readonly id: string;
          readonly command: Command;
          readonly input: CommandInput<Targets[Index]['commands'][Command]>;
        };
      }[keyof Targets[Index]['commands'] & string]
    : never;
}[number];

/**
 * A scheduled command (deadline) still pending after the given events.
 *
 * @example
 * ```ts
 * const expected: ScheduledCommandOf<[typeof Order]> = { aggregate: 'Order', id: 'o1', command: 'cancel', input: { reason: 'unpaid' }, deadline: 'payment', dueAt };
 * ```
 */
export type ScheduledCommandOf<Targets extends readonly CommandTarget[]> = IssuedCommandOf<Targets> & {
  readonly deadline: string;
  readonly dueAt: Date;
};

/**
 * What a process did with the given events.
 *
 * @example
 * ```ts
 * const { sent, scheduled, states, completed } = await processSpec(Shipping).given(events).outcome();
 * ```
 */
export interface ProcessOutcome<State, Targets extends readonly CommandTarget[]> {
  /** Commands sent right after their step, in order (refused ones too). */
  readonly sent: readonly IssuedCommandOf<Targets>[];
  /** Deadlines still pending at the end (cancelled and replaced ones are gone), by due time. */
  readonly scheduled: readonly ScheduledCommandOf<Targets>[];
  /** The state of each running instance, by correlation key. */
  readonly states: Readonly<Record<string, State>>;
  /** The keys of instances that completed. */
  readonly completed: readonly string[];
}

/**
 * Options of {@link processSpec}'s `given`.
 *
 * @example
 * ```ts
 * processSpec(Checkout).given(events, { now, refuse: (command) => (command.command === 'reserve' ? 'OUT_OF_STOCK' : undefined) });
 * ```
 */
export interface ProcessSpecOptions<Targets extends readonly CommandTarget[]> {
  /** The process's clock during every step (default 2030-01-01T00:00:00.000Z), so due times are exact. */
  readonly now?: Date;
  /**
   * Which sent commands their aggregate refuses, and why (the reason); the process's `onRejected`
   * step then runs with the rejection. Default: none is refused.
   */
  readonly refuse?: (command: IssuedCommandOf<Targets>) => string | undefined;
}

/**
 * The assertions of a process spec (not named `then`, which would make it a thenable). Each
 * resolves to the whole outcome, for more assertions of your own.
 *
 * @example
 * ```ts
 * const { states } = await processSpec(Shipping).given(events).thenCommands([{ aggregate: 'Shipment', id: 'o1', command: 'create', input }]);
 * ```
 */
export interface ProcessThen<State, Targets extends readonly CommandTarget[]> {
  /** Asserts the commands sent right after their steps, in order. */
  thenCommands(expected: readonly IssuedCommandOf<Targets>[]): Promise<ProcessOutcome<State, Targets>>;
  /** Asserts the deadlines still pending, by due time. */
  thenScheduled(expected: readonly ScheduledCommandOf<Targets>[]): Promise<ProcessOutcome<State, Targets>>;
  /** Asserts one instance's state; undefined for one that completed or never started. */
  thenState(key: string, expected: State | undefined): Promise<ProcessOutcome<State, Targets>>;
  /** Asserts that the instance `key` completed. */
  thenCompleted(key: string): Promise<ProcessOutcome<State, Targets>>;
  /** Asserts that a step fails as described. */
  thenFails(expected: ExpectedError | RegExp): Promise<void>;
  /** Everything the process did, for assertions of your own. */
  outcome(): Promise<ProcessOutcome<State, Targets>>;
}

/** A command as recorded at run time; typed as `IssuedCommandOf` when handed out. */
interface Issued {
  readonly aggregate: string;
  readonly id: string;
  readonly command: string;
  readonly input: unknown;
}

type Scheduled = Issued & { readonly deadline: string; readonly dueAt: Date };

interface Instance<State> {
  state: State;
  /** Deadline name → pending command. */
  deadlines: Map<string, Scheduled>;
}

const defaultNow = new Date('2030-01-01T00:00:00.000Z');
const maxRejectionDepth = 32;

/**
 * Given-events-then-commands specifications for process managers. Runs the definition's steps
 * over the given events, instance by instance as the process manager does (state kept as JSON,
 * deadlines cancelled and replaced, completion), with no store and no aggregates: commands are
 * recorded, not executed. `refuse` makes chosen commands come back refused, to test `onRejected`
 * compensations. Event payloads, commands and inputs are typed from the definition.
 *
 * @example
 * ```ts
 * await processSpec(PaymentDeadline)
 *   .given([{ streamId: 'Order-o1', type: 'OrderCreated', data: { items, total: 10 } }])
 *   .thenScheduled([
 *     { aggregate: 'Order', id: 'o1', command: 'cancel', input: { reason }, deadline: 'payment', dueAt },
 *   ]);
 * ```
 */
export function processSpec<
  Name extends string,
  Schemas extends EventSchemas,
  State,
  Targets extends readonly CommandTarget[],
>(definition: ProcessDefinition<Name, Schemas, State, Targets>) {
  return {
    given(
      events: readonly GivenEventOf<Schemas>[],
      options: ProcessSpecOptions<Targets> = {},
    ): ProcessThen<State, Targets> {
      const run = () => runProcess(definition, events as readonly GivenEventOf<EventSchemas>[], options);
      const asserting = async (check: (outcome: ProcessOutcome<State, Targets>) => void) => {
        const outcome = await run();
        check(outcome);
        return outcome;
      };
      return {
        thenCommands: (expected) =>
          asserting((outcome) => assert.deepStrictEqual(outcome.sent, expected, 'the commands sent differ')),
        thenScheduled: (expected) =>
          asserting((outcome) =>
            assert.deepStrictEqual(outcome.scheduled, expected, 'the pending deadlines differ'),
          ),
        thenState: (key, expected) =>
          asserting((outcome) =>
            assert.deepStrictEqual(outcome.states[key], expected, `the state of instance "${key}" differs`),
          ),
        thenCompleted: (key) =>
          asserting((outcome) =>
            assert.ok(
              outcome.completed.includes(key),
              `instance "${key}" did not complete (completed: ${JSON.stringify(outcome.completed)})`,
            ),
          ),
        thenFails: (expected) => expectFailure(run, expected),
        outcome: run,
      };
    },
  };
}

async function runProcess<State, Targets extends readonly CommandTarget[]>(
  definition: ProcessDefinition<string, EventSchemas, State, Targets>,
  events: readonly GivenEventOf<EventSchemas>[],
  options: ProcessSpecOptions<Targets>,
): Promise<ProcessOutcome<State, Targets>> {
  const storage = createInMemoryStorage();
  const stored = await storeGiven(storage, events, definition);
  await storage.close();
  const now = options.now ?? defaultNow;
  const instances = new Map<string, Instance<State>>();
  const completed: string[] = [];
  const sent: Issued[] = [];
  const targets = new Map(definition.targets.map((target) => [target.name, target]));

  type Step = (state: State, context: ProcessContext<Targets>) => State | Promise<State>;
  const apply = async (key: string, trigger: StoredEvent, step: Step, depth: number): Promise<void> => {
    const instance = instances.get(key) ?? { state: definition.initialState(), deadlines: new Map() };
    const issued: Issued[] = [];
    const scheduled: Scheduled[] = [];
    const cancelled: string[] = [];
    let done = false;
    const context: ProcessContext<Targets> = {
      key,
      now,
      execute(aggregate, id, command, input, schedule?: ScheduleOptions) {
        checkCommand(definition.name, aggregate, command, input);
        const entry: Issued = { aggregate: aggregate.name, id, command, input };
        if (schedule === undefined) issued.push(entry);
        else scheduled.push({ ...entry, deadline: schedule.deadline, dueAt: dueDate(schedule, now) });
      },
      cancelDeadline: (deadline) => void cancelled.push(deadline),
      complete: () => {
        done = true;
      },
    };
    // Stored as JSON by the process manager: the spec sees what a restart would.
    const state = structuredJson(await step(structuredJson(instance.state), context));
    for (const deadline of cancelled) instance.deadlines.delete(deadline);
    for (const entry of scheduled) instance.deadlines.set(entry.deadline, entry);
    if (done) {
      instances.delete(key);
      completed.push(key);
    } else {
      instances.set(key, { state, deadlines: instance.deadlines });
    }
    for (const command of issued) {
      sent.push(command);
      const reason = options.refuse?.(command as IssuedCommandOf<Targets>);
      if (reason === undefined) continue;
      const handler = definition.rejectionStep;
      if (handler === undefined || !instances.has(key)) continue;
      assert.ok(depth < maxRejectionDepth, `rejection steps of "${key}" keep sending refused commands`);
      const target = targets.get(command.aggregate);
      const rejection = {
        ...command,
        streamId: target?.streamIdOf(command.id) ?? command.id,
        reason,
        message: `refused by the spec: ${reason}`,
        deadline: undefined,
        trigger: eventRef(trigger),
      } as CommandRejection<Targets>;
      await apply(key, trigger, (current, next) => handler(current, rejection, next), depth + 1);
    }
  };

  for (const event of stored) {
    const handler = definition.stepFor(event.type);
    if (handler === undefined || !definition.streamTypes.includes(event.streamType)) continue;
    await apply(handler.key(event), event, (state, context) => handler.handle(state, event, context), 0);
  }
  const scheduled = [...instances.values()]
    .flatMap((instance) => [...instance.deadlines.values()])
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  const states: Record<string, State> = {};
  for (const [key, instance] of instances) states[key] = instance.state;
  return {
    sent: sent as IssuedCommandOf<Targets>[],
    scheduled: scheduled as ScheduledCommandOf<Targets>[],
    states,
    completed,
  };
}

function structuredJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
