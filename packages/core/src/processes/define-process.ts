import type { CommandInput } from '../aggregates/define-aggregate.js';
import type { FailedEventRef } from '../errors/consumer-errors.js';
import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import type { EventCatalog, EventSchemas, SchemasOf } from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import { checkDefinitionName, withHandler } from '../internal/checks.js';
import { type StreamDeletion, streamDeletedType, streamDeletionOf } from '../streams/stream-lifecycle.js';

/**
 * What a process manager needs of an aggregate definition to send it commands: every
 * `defineAggregate(...)` result is one.
 *
 * @example
 * ```ts
 * defineProcess('shipping', { from: [Order], to: [Shipment], initialState: () => ({}) });
 * ```
 */
export interface CommandTarget {
  readonly name: string;
  readonly commands: object;
  readonly streamIdOf: (id: string) => string;
}

/**
 * When a scheduled command is due: at an instant or after a delay from the step's clock. `deadline`
 * names it within the process instance, so a later step can cancel it (or replace it by
 * scheduling the same name again).
 *
 * @example
 * ```ts
 * context.execute(Order, id, 'cancel', { reason: 'unpaid' }, { deadline: 'payment', at: new Date(Date.now() + 1_800_000) });
 * ```
 */
export type ScheduleOptions = { readonly deadline: string } & (
  | { readonly at: Date; readonly afterMs?: never }
  | { readonly afterMs: number; readonly at?: never }
);

/**
 * What a process step can do besides returning the new state.
 *
 * @example
 * ```ts
 * handle: (state, event, context) => { context.cancelDeadline('payment'); return { ...state, paid: true }; },
 * ```
 */
export interface ProcessContext<Targets extends readonly CommandTarget[]> {
  /** The correlation key of the instance this step runs for. */
  readonly key: string;
  /** The process manager's clock at this step. */
  readonly now: Date;
  /**
   * Issues a command to an aggregate, sent once the step has committed (and exactly once in
   * effect, also across crashes). With `schedule`, it is a deadline: sent when due, unless a
   * later step cancels it first.
   *
   * @example
   * ```ts
   * context.execute(Shipment, event.streamId, 'prepare', { orderId: event.streamId });
   * context.execute(Order, id, 'cancel', { reason: 'unpaid' }, { deadline: 'payment', afterMs: 30 * 60_000 });
   * ```
   */
  execute<Target extends Targets[number], Command extends keyof Target['commands'] & string>(
    aggregate: Target,
    id: string,
    command: Command,
    input: CommandInput<Target['commands'][Command]>,
    schedule?: ScheduleOptions,
  ): void;
  /** Cancels this instance's scheduled command of that name (nothing if there is none). */
  cancelDeadline(deadline: string): void;
  /** Ends the instance: its state is deleted and its pending deadlines cancelled. */
  complete(): void;
}

/**
 * One event type's step: which instance it belongs to, and what it does there.
 *
 * @example
 * ```ts
 * .on('OrderPaid', { key: (event) => event.streamId, handle: (state) => ({ ...state, paid: true }) })
 * ```
 */
export interface ProcessHandler<State, Event, Targets extends readonly CommandTarget[]> {
  /** The correlation key: the instance whose state this event updates (e.g. an order id). */
  readonly key: (event: Event) => string;
  /** The new state; commands go through `context`. Runs once per event, with its effects. */
  readonly handle: (state: State, event: Event, context: ProcessContext<Targets>) => State | Promise<State>;
}

/**
 * A command the process sent that its aggregate refused (`CommandRejectedError`), as the process's
 * rejection step gets it: which command, to which aggregate instance, with which input, and why.
 * Discriminated by `aggregate` and `command`, so `input` has that command's type.
 *
 * @example
 * ```ts
 * .onRejected((state, rejection, context) => {
 *   if (rejection.aggregate === 'Shipment' && rejection.reason === 'OUT_OF_STOCK') {
 *     context.execute(Order, rejection.input.orderId, 'cancel', { reason: 'out of stock' });
 *   }
 *   return state;
 * })
 * ```
 */
export type CommandRejection<Targets extends readonly CommandTarget[] = readonly CommandTarget[]> = {
  [Index in keyof Targets]: Targets[Index] extends CommandTarget
    ? {
        [Command in keyof Targets[Index]['commands'] & string]: RejectedCommand<
          Targets[Index]['name'],
          Command,
          CommandInput<Targets[Index]['commands'][Command]>
        >;
      }[keyof Targets[Index]['commands'] & string]
    : never;
}[number];

/**
 * One refused command: see {@link CommandRejection}.
 *
 * @example
 * ```ts
 * const refused: RejectedCommand<'Order', 'cancel', { reason: string }> = rejection;
 * ```
 */
export interface RejectedCommand<Aggregate extends string, Command extends string, Input> {
  /** The aggregate's name. */
  readonly aggregate: Aggregate;
  /** The aggregate instance's id (as given to `context.execute`). */
  readonly id: string;
  readonly streamId: string;
  readonly command: Command;
  readonly input: Input;
  /** The aggregate's stable reason, e.g. `'ORDER_ALREADY_PAID'`. */
  readonly reason: string;
  readonly message: string;
  /** The deadline's name when the command was scheduled; undefined for one sent right away. */
  readonly deadline: string | undefined;
  /** The event whose step issued the command. */
  readonly trigger: FailedEventRef;
}

/**
 * The step a process runs when an aggregate refuses one of its commands: the instance's state
 * and the rejection in, the new state out; it may send compensating commands, schedule or cancel
 * deadlines and complete the instance, like any step.
 *
 * @example
 * ```ts
 * const undo: RejectionHandler<State, typeof targets> = (state, rejection, context) => {
 *   context.complete();
 *   return state;
 * };
 * ```
 */
export type RejectionHandler<State, Targets extends readonly CommandTarget[]> = (
  state: State,
  rejection: CommandRejection<Targets>,
  context: ProcessContext<Targets>,
) => State | Promise<State>;

/**
 * A process manager (workflow across aggregates): per-instance state keyed by a correlation key,
 * steps per event type, commands to other aggregates. Immutable: `on` returns a new definition.
 *
 * @example
 * ```ts
 * const manager = createProcessManager(store, Fulfilment);
 * ```
 */
export interface ProcessDefinition<
  Name extends string = string,
  Schemas extends EventSchemas = EventSchemas,
  State = unknown,
  Targets extends readonly CommandTarget[] = readonly CommandTarget[],
> {
  readonly name: Name;
  /** The stream types it reads. */
  readonly streamTypes: readonly string[];
  /** The event types it has steps for (`$StreamDeleted` with `onStreamDeleted`). */
  readonly types: readonly string[];
  /** The aggregates it may send commands to. */
  readonly targets: Targets;
  readonly initialState: () => State;
  /**
   * Adds the step for one event type; the payload type comes from the catalogs.
   *
   * @example
   * ```ts
   * const Fulfilment = defineProcess('fulfilment', { from: [Order], to: [Shipment], initialState: () => ({}) })
   *   .on('OrderPaid', {
   *     key: (event) => event.streamId,
   *     handle: (state, event, context) => {
   *       context.execute(Shipment, event.streamId, 'prepare', { orderId: event.streamId });
   *       return state;
   *     },
   *   });
   * ```
   */
  on<Type extends keyof Schemas & string>(
    type: Type,
    handler: ProcessHandler<State, StoredEvent<Type, SchemaOutput<Schemas[Type]>>, Targets>,
  ): ProcessDefinition<Name, Schemas, State, Targets>;
  /**
   * Sets the step that runs when an aggregate refuses a command this process sent (a saga's
   * compensation): it runs once per refusal, in the transaction that drops the command from the
   * outbox, for the instance that sent it. An instance completed in the meantime gets no
   * rejection step (`onCommandRejected` of the manager still hears of it).
   *
   * @example
   * ```ts
   * const Checkout = CheckoutBase.onRejected((state, rejection, context) => {
   *   if (rejection.command === 'reserve') context.execute(Payment, state.paymentId, 'refund', { reason: rejection.reason });
   *   context.complete();
   *   return state;
   * });
   * ```
   */
  onRejected(handler: RejectionHandler<State, Targets>): ProcessDefinition<Name, Schemas, State, Targets>;
  /**
   * Sets the step that runs when a stream of the process's stream types is deleted
   * (`deleteStream`), for the instance `key` names: e.g. cancel its deadlines and complete it,
   * since the stream it waits on is gone. Runs like any step, exactly once with its effects, when
   * the `$StreamDeleted` tombstone reaches the process manager.
   *
   * @example
   * ```ts
   * const Fulfilment = FulfilmentBase.onStreamDeleted({
   *   key: (deletion) => deletion.streamId,
   *   handle: (state, _deletion, context) => {
   *     context.complete();
   *     return state;
   *   },
   * });
   * ```
   */
  onStreamDeleted(
    handler: ProcessHandler<State, StreamDeletion, Targets>,
  ): ProcessDefinition<Name, Schemas, State, Targets>;
  /** The step for an event type, if any. */
  stepFor(type: string): ProcessHandler<State, StoredEvent, Targets> | undefined;
  /** The rejection step, if any. */
  readonly rejectionStep: RejectionHandler<State, Targets> | undefined;
}

/**
 * Options of {@link defineProcess}.
 *
 * @example
 * ```ts
 * defineProcess('fulfilment', { from: [Order], to: [Shipment], initialState: () => ({ paid: false }) });
 * ```
 */
export interface ProcessOptions<
  Catalogs extends readonly EventCatalog[],
  Targets extends readonly CommandTarget[],
  State,
> {
  /** The aggregates / stream types whose events drive the process. */
  readonly from: Catalogs;
  /** The aggregates it sends commands to. */
  readonly to: Targets;
  /** A new instance's state (plain JSON: it is stored). */
  readonly initialState: () => State;
}

/**
 * Starts a process manager definition; run it with `createProcessManager`. Payloads, commands and
 * their inputs are all inferred from the aggregate definitions.
 *
 * @example
 * ```ts
 * const Payment = defineProcess('paymentDeadline', {
 *   from: [Order],
 *   to: [Order],
 *   initialState: () => ({ paid: false }),
 * })
 *   .on('OrderCreated', {
 *     key: (event) => event.streamId,
 *     handle: (state, event, context) => {
 *       context.execute(Order, event.streamId.slice('Order-'.length), 'cancel', { reason: 'unpaid' }, {
 *         deadline: 'payment',
 *         afterMs: 30 * 60_000,
 *       });
 *       return state;
 *     },
 *   })
 *   .on('OrderPaid', {
 *     key: (event) => event.streamId,
 *     handle: (_state, _event, context) => {
 *       context.cancelDeadline('payment');
 *       return { paid: true };
 *     },
 *   });
 * ```
 */
export function defineProcess<
  const Name extends string,
  const Catalogs extends readonly EventCatalog[],
  const Targets extends readonly CommandTarget[],
  State,
>(
  name: Name,
  options: ProcessOptions<Catalogs, Targets, State>,
): ProcessDefinition<Name, SchemasOf<Catalogs>, State, Targets> {
  checkDefinitionName('process', name);
  return build<State, Targets>(
    name,
    options.from.map((catalog) => catalog.streamType),
    options.to,
    options.initialState,
    new Map(),
    undefined,
  ) as ProcessDefinition<Name, SchemasOf<Catalogs>, State, Targets>;
}

function build<State, Targets extends readonly CommandTarget[]>(
  name: string,
  streamTypes: readonly string[],
  targets: Targets,
  initialState: () => State,
  steps: ReadonlyMap<string, ProcessHandler<State, StoredEvent, Targets>>,
  rejectionStep: RejectionHandler<State, Targets> | undefined,
): ProcessDefinition<string, EventSchemas, State, Targets> {
  const definition: ProcessDefinition<string, EventSchemas, State, Targets> = {
    name,
    streamTypes,
    types: [...steps.keys()],
    targets,
    initialState,
    on(type, handler) {
      const step = handler as unknown as ProcessHandler<State, StoredEvent, Targets>;
      const added = withHandler(steps, `step of process "${name}"`, type, step);
      return build(name, streamTypes, targets, initialState, added, rejectionStep);
    },
    onRejected(handler) {
      if (rejectionStep !== undefined) {
        throw new InvalidArgumentError({
          argument: `rejection step of process "${name}"`,
          value: 'onRejected',
          problem: 'is declared twice',
        });
      }
      return build(name, streamTypes, targets, initialState, steps, handler);
    },
    onStreamDeleted(handler) {
      const deletion = (event: StoredEvent) => streamDeletionOf(event) as StreamDeletion;
      const step: ProcessHandler<State, StoredEvent, Targets> = {
        key: (event) => handler.key(deletion(event)),
        handle: (state, event, context) => handler.handle(state, deletion(event), context),
      };
      const added = withHandler(steps, `step of process "${name}"`, streamDeletedType, step);
      return build(name, streamTypes, targets, initialState, added, rejectionStep);
    },
    stepFor: (type) => steps.get(type),
    rejectionStep,
  };
  return Object.freeze(definition);
}
