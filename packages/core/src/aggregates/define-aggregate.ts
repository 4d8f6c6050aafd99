import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { EventMetadata } from '../events/event.js';
import {
  checkEventHistory,
  type EventCatalog,
  type EventHistory,
  type EventSchemas,
  type NewEventOf,
} from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import { checkDefinitionName } from '../internal/checks.js';
import type { SnapshotPolicy } from '../snapshots/snapshot-policy.js';

/** An event as evolve sees it: committed or about to be. */
export interface EvolvingEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

/** The union of events evolve receives for a schema map. */
export type EvolvingEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: EvolvingEvent<Type, SchemaOutput<Schemas[Type]>>;
}[keyof Schemas & string];

/** One pure state transition per event type: exhaustive, so a new event type cannot be forgotten. */
export type EvolveHandlers<State, Schemas extends EventSchemas> = {
  readonly [Type in keyof Schemas & string]: (
    state: State,
    event: EvolvingEvent<Type, SchemaOutput<Schemas[Type]>>,
  ) => State;
};

/** What a command sees besides state and input. */
export interface CommandContext {
  /** The aggregate id the command was sent to. */
  readonly id: string;
  readonly streamId: string;
  /** The version the state is at (0 for an aggregate with no events yet). */
  readonly version: number;
  /**
   * Refuses the command: throws `CommandRejectedError` carrying your stable `reason`.
   *
   * @example
   * ```ts
   * if (state.status !== 'pending') context.reject('ORDER_ALREADY_PAID', 'Order already paid');
   * ```
   */
  reject(reason: string, message?: string): never;
}

/** The events a command emits: one, several, or none. */
export type Emitted<Schemas extends EventSchemas> = NewEventOf<Schemas> | readonly NewEventOf<Schemas>[];

/**
 * A pure decision: state + input → events. Annotate `input`; everything else is inferred.
 * Must not do I/O: it may run again after a concurrency conflict.
 */
export type CommandHandler<State, Schemas extends EventSchemas> = (
  state: State,
  // biome-ignore lint/suspicious/noExplicitAny: the input type is the user's annotation, inferred per command
  input: any,
  context: CommandContext,
) => Emitted<Schemas>;

/** The input type of a command handler. */
export type CommandInput<Handler> = Handler extends (
  state: never,
  input: infer Input,
  context: never,
) => unknown
  ? unknown extends Input
    ? undefined
    : Input
  : never;

/**
 * A complete aggregate definition: an event catalog plus initial state, evolve and commands.
 * Built by {@link defineAggregate}.
 */
export interface AggregateDefinition<
  Name extends string = string,
  Schemas extends EventSchemas = EventSchemas,
  State = unknown,
  Commands extends Readonly<Record<string, CommandHandler<State, Schemas>>> = Readonly<
    Record<string, CommandHandler<State, Schemas>>
  >,
> extends EventCatalog<Name, Schemas> {
  readonly name: Name;
  readonly initialState: () => State;
  readonly evolve: EvolveHandlers<State, Schemas>;
  readonly commands: Commands;
  readonly snapshotPolicy: SnapshotPolicy<State> | undefined;
  /** The stream an aggregate id lives in (default `${name}-${id}`). */
  readonly streamIdOf: (id: string) => string;
  /** A copy of this definition that snapshots state by `policy`. */
  withSnapshots(policy: SnapshotPolicy<State>): AggregateDefinition<Name, Schemas, State, Commands>;
}

/** Options of {@link defineAggregate}. */
export interface AggregateOptions {
  /** Maps an aggregate id to its stream id. Default: `${name}-${id}`. */
  readonly streamId?: (id: string) => string;
}

// A handle with a `then` command would be mistaken for a promise when returned from an async function.
const reservedCommandNames = new Set(['then']);

/**
 * Starts a fluent, fully inferred aggregate definition: `.events()` → `.initialState()` →
 * `.evolve()` → `.commands()`.
 *
 * @example
 * ```ts
 * const Counter = defineAggregate('Counter')
 *   .events({ Incremented: z.object({ by: z.number().int().positive() }) })
 *   .initialState(() => ({ total: 0 }))
 *   .evolve({ Incremented: (state, { data }) => ({ total: state.total + data.by }) })
 *   .commands({
 *     increment: (state, input: { by: number }, context) => {
 *       if (state.total + input.by > 100) context.reject('LIMIT', 'Counter cannot pass 100');
 *       return { type: 'Incremented', data: { by: input.by } };
 *     },
 *   });
 * ```
 */
export function defineAggregate<const Name extends string>(name: Name, options: AggregateOptions = {}) {
  checkDefinitionName('aggregate', name);
  const streamIdOf = options.streamId ?? ((id: string) => `${name}-${id}`);
  return {
    /**
     * The aggregate's event types and their schemas (`evolving(…)` for a type with versions);
     * `history.retired` reads event types no longer written as current ones.
     */
    events<const Schemas extends EventSchemas>(
      schemas: Schemas,
      history: EventHistory<NoInfer<Schemas>> = {},
    ) {
      checkEventHistory(name, schemas, history);
      const { retired } = history;
      return {
        initialState<State>(initialState: () => State) {
          return {
            evolve(evolve: EvolveHandlers<State, Schemas>) {
              return {
                commands<const Commands extends Readonly<Record<string, CommandHandler<State, Schemas>>>>(
                  commands: Commands,
                ): AggregateDefinition<Name, Schemas, State, Commands> {
                  for (const command of Object.keys(commands)) {
                    if (reservedCommandNames.has(command)) {
                      throw new InvalidArgumentError({
                        argument: `command name of ${name}`,
                        value: command,
                        problem: `is reserved (${[...reservedCommandNames].join(', ')})`,
                      });
                    }
                  }
                  return build({
                    name,
                    schemas,
                    retired,
                    initialState,
                    evolve,
                    commands,
                    streamIdOf,
                    snapshotPolicy: undefined,
                  });
                },
              };
            },
          };
        },
      };
    },
  };
}

type DefinitionParts<Name extends string, Schemas extends EventSchemas, State, Commands> = Omit<
  AggregateDefinition<
    Name,
    Schemas,
    State,
    Commands & Readonly<Record<string, CommandHandler<State, Schemas>>>
  >,
  'withSnapshots' | 'streamType'
>;

function build<
  Name extends string,
  Schemas extends EventSchemas,
  State,
  Commands extends Readonly<Record<string, CommandHandler<State, Schemas>>>,
>(
  parts: DefinitionParts<Name, Schemas, State, Commands>,
): AggregateDefinition<Name, Schemas, State, Commands> {
  return Object.freeze({
    ...parts,
    streamType: parts.name,
    withSnapshots: (snapshotPolicy: SnapshotPolicy<State>) => build({ ...parts, snapshotPolicy }),
  });
}

/** The state type of an aggregate definition. */
// Inferred from `initialState`: matching against AggregateDefinition<string, EventSchemas, infer State>
// never succeeds for a real aggregate (its evolve handlers take specific payloads), which gave `never`.
export type StateOf<Definition> = Definition extends { readonly initialState: () => infer State }
  ? State
  : never;
