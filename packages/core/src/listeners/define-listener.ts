import type { StoredEvent } from '../events/event.js';
import type { EventCatalog, EventSchemas, SchemasOf } from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import { checkDefinitionName, withHandler } from '../internal/checks.js';

/**
 * What a listener handler gets besides the event.
 *
 * @example
 * ```ts
 * .on('OrderPaid', (event, { attempt }) => webhook.post(event, { retry: attempt > 1 }))
 * ```
 */
export interface ListenerContext {
  /** 1 on the first try, then 2, 3… (also counting earlier tries of a dead letter being retried). */
  readonly attempt: number;
}

/**
 * Handles one event type of a listener.
 *
 * @example
 * ```ts
 * const onPaid: ListenerHandler<StoredEvent<'OrderPaid', { amount: number }>> = (event) => log(event.data.amount);
 * ```
 */
export type ListenerHandler<Event> = (event: Event, context: ListenerContext) => void | Promise<void>;

/**
 * A stateless side effect after commit (an email, a webhook, a message to a broker). Delivery is
 * at least once: make the effect idempotent, e.g. keyed by `event.eventId`. Immutable: `on`
 * returns a new definition.
 *
 * @example
 * ```ts
 * const Receipts: ListenerDefinition<'receipts'> = defineListener('receipts', { from: [Order] });
 * ```
 */
export interface ListenerDefinition<
  Name extends string = string,
  Schemas extends EventSchemas = EventSchemas,
> {
  readonly name: Name;
  /** The stream types the listener reads (from its catalogs). */
  readonly streamTypes: readonly string[];
  /** The event types it has handlers for. */
  readonly types: readonly string[];
  /**
   * Adds the handler of one event type; its payload type comes from the catalogs.
   *
   * @example
   * ```ts
   * const Receipts = defineListener('receipts', { from: [Order] })
   *   .on('OrderPaid', (event) => mailer.send(event.data.email, { idempotencyKey: event.eventId }));
   * ```
   */
  on<Type extends keyof Schemas & string>(
    type: Type,
    handler: ListenerHandler<StoredEvent<Type, SchemaOutput<Schemas[Type]>>>,
  ): ListenerDefinition<Name, Schemas>;
  /** Runs the handler of `event`'s type (nothing if the listener has none). */
  handle(event: StoredEvent, context: ListenerContext): Promise<void>;
}

/**
 * Options of {@link defineListener}.
 *
 * @example
 * ```ts
 * defineListener('receipts', { from: [Order] });
 * ```
 */
export interface ListenerOptions<Catalogs extends readonly EventCatalog[]> {
  /** The aggregates / stream types whose events the listener reads. */
  readonly from: Catalogs;
}

/**
 * Starts a listener over the events of some aggregates or stream types; run it with
 * `createListenerRunner`. Handler payloads are inferred from the catalogs' schemas.
 *
 * @example
 * ```ts
 * const Welcome = defineListener('welcomeEmail', { from: [Customer] })
 *   .on('CustomerRegistered', async (event) => { await mailer.welcome(event.data.email); });
 * const runner = createListenerRunner(store, Welcome, { retry: { attempts: 5 } });
 * await runner.start();
 * ```
 */
export function defineListener<const Name extends string, const Catalogs extends readonly EventCatalog[]>(
  name: Name,
  options: ListenerOptions<Catalogs>,
): ListenerDefinition<Name, SchemasOf<Catalogs>> {
  checkDefinitionName('listener', name);
  return build(
    name,
    options.from.map((catalog) => catalog.streamType),
    new Map(),
  ) as ListenerDefinition<Name, SchemasOf<Catalogs>>;
}

function build(
  name: string,
  streamTypes: readonly string[],
  handlers: ReadonlyMap<string, ListenerHandler<StoredEvent>>,
): ListenerDefinition {
  const definition: ListenerDefinition = {
    name,
    streamTypes,
    types: [...handlers.keys()],
    on(type, handler) {
      return build(
        name,
        streamTypes,
        withHandler(handlers, `handler of listener "${name}"`, type, handler as ListenerHandler<StoredEvent>),
      );
    },
    async handle(event, context) {
      if (!streamTypes.includes(event.streamType)) return;
      await handlers.get(event.type)?.(event, context);
    },
  };
  return Object.freeze(definition);
}
