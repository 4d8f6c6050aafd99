import { InvalidArgumentError } from '../errors/hindsight-error.js';
import type { NewEvent, StoredEvent } from './event.js';
import type { SchemaInput, SchemaOutput, StandardSchemaV1 } from './standard-schema.js';

/** Event schemas keyed by event type. */
export type EventSchemas = Readonly<Record<string, StandardSchemaV1>>;

/**
 * The events one stream type may hold, with their schemas. Aggregates are catalogs too; use
 * `defineStreamType` for streams written without an aggregate.
 */
export interface EventCatalog<
  StreamType extends string = string,
  Schemas extends EventSchemas = EventSchemas,
> {
  readonly streamType: StreamType;
  readonly schemas: Schemas;
  /** Event types no longer written, and how stored ones read now (see {@link EventHistory}). */
  readonly retired?: RetiredEvents | undefined;
}

/** A current event as an upcaster returns it: its type and its data in the current shape. */
export type CurrentEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: { readonly type: Type; readonly data: SchemaOutput<Schemas[Type]> };
}[keyof Schemas & string];

/**
 * How a retired event type reads now: the name of the current type it was renamed to (its stored
 * schema version then continues in that type's history), or a pure function turning one stored
 * event into current events (a split; annotate `data` with the retired payload's type).
 */
export type RetiredEvent<Schemas extends EventSchemas = EventSchemas> =
  | (keyof Schemas & string)
  | ((
      // biome-ignore lint/suspicious/noExplicitAny: the stored payload's type is the user's annotation
      data: any,
      event: StoredEvent,
    ) => CurrentEventOf<Schemas> | readonly CurrentEventOf<Schemas>[]);

/** Retired event types by their stored name. */
export type RetiredEvents<Schemas extends EventSchemas = EventSchemas> = Readonly<
  Record<string, RetiredEvent<Schemas>>
>;

/**
 * The part of a catalog's history that is not one type's schema versions (those are declared with
 * `evolving`): event types no longer written, read as current ones.
 *
 * @example
 * ```ts
 * const history: EventHistory<typeof schemas> = {
 *   retired: {
 *     FundsAdded: 'MoneyDeposited', // renamed: stored FundsAdded events read as MoneyDeposited
 *     AccountOpenedWithDeposit: (data: { owner: string; amountCents: number }) => [
 *       { type: 'AccountOpened', data: { owner: data.owner } },
 *       { type: 'MoneyDeposited', data: { amountCents: data.amountCents, currency: 'EUR' } },
 *     ],
 *   },
 * };
 * ```
 */
export interface EventHistory<Schemas extends EventSchemas> {
  readonly retired?: RetiredEvents<Schemas>;
}

/** Checks a history against the schemas it belongs to, so a mistake shows at definition time. */
export function checkEventHistory(
  owner: string,
  schemas: EventSchemas,
  history: EventHistory<EventSchemas>,
): void {
  for (const [retired, reading] of Object.entries(history.retired ?? {})) {
    if (Object.hasOwn(schemas, retired)) {
      throw new InvalidArgumentError({
        argument: `retired event type of ${owner}`,
        value: retired,
        problem: 'is also a current event type',
      });
    }
    if (typeof reading === 'string' ? !Object.hasOwn(schemas, reading) : typeof reading !== 'function') {
      throw new InvalidArgumentError({
        argument: `retired event type ${retired} of ${owner}`,
        value: reading,
        problem: 'must name a current event type or be a function returning current events',
      });
    }
  }
}

/**
 * Declares a stream type and the events its streams may hold.
 *
 * @example
 * ```ts
 * const Audit = defineStreamType('Audit', { LoginSucceeded: z.object({ userId: z.string() }) });
 * const store = createEventStore({ storage: createInMemoryStorage(), events: [Audit] });
 * // With retired types (see EventHistory): stored `LoggedIn` events read as `LoginSucceeded`.
 * const Audit2 = defineStreamType('Audit', { LoginSucceeded: z.object({ userId: z.string() }) }, {
 *   retired: { LoggedIn: 'LoginSucceeded' },
 * });
 * ```
 */
export function defineStreamType<const StreamType extends string, const Schemas extends EventSchemas>(
  streamType: StreamType,
  schemas: Schemas,
  history: EventHistory<NoInfer<Schemas>> = {},
): EventCatalog<StreamType, Schemas> {
  checkEventHistory(streamType, schemas, history);
  return { streamType, schemas, retired: history.retired };
}

/** The union of stored events a schema map describes. */
export type StoredEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: StoredEvent<Type, SchemaOutput<Schemas[Type]>>;
}[keyof Schemas & string];

/** The union of events (as written) a schema map accepts. */
export type NewEventOf<Schemas extends EventSchemas> = {
  [Type in keyof Schemas & string]: NewEvent<Type, SchemaInput<Schemas[Type]>>;
}[keyof Schemas & string];

/** Merges the schemas of several catalogs into one map. */
export type SchemasOf<Catalogs extends readonly EventCatalog[]> =
  UnionToIntersection<Catalogs[number]['schemas']> extends infer Merged extends EventSchemas
    ? Merged
    : EventSchemas;

/** Stream type names of several catalogs. */
export type StreamTypesOf<Catalogs extends readonly EventCatalog[]> = Catalogs[number]['streamType'];

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (arg: infer I) => void
  ? I
  : never;
