import type { StoredEvent } from '../events/event.js';
import type { EventCatalog, EventSchemas, SchemasOf } from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import { checkDefinitionName, withHandler } from '../internal/checks.js';
import { deletionHandler, forgetHandler, withSystemStreams } from '../internal/system-events.js';
import { type SubjectForgetting, subjectForgottenType } from '../personal/forget-subject.js';
import { type StreamDeletion, streamDeletedType } from '../streams/stream-lifecycle.js';

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
  /** The stream types the listener reads (from its catalogs; `$personal-data` with `onForget`). */
  readonly streamTypes: readonly string[];
  /** The event types it has handlers for (`$StreamDeleted`, `$SubjectForgotten` for its hooks). */
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
  /**
   * Sets what to do when a stream of the listener's stream types is deleted (`deleteStream`), e.g.
   * delete its copy in another system. Runs when the `$StreamDeleted` tombstone reaches the
   * listener: at least once, retried and dead-lettered like any handler.
   *
   * @example
   * ```ts
   * const Crm = CrmBase.onStreamDeleted(({ streamId, reason }) => crm.deleteContact(streamId, { reason }));
   * ```
   */
  onStreamDeleted(hook: ListenerHandler<StreamDeletion>): ListenerDefinition<Name, Schemas>;
  /**
   * Sets what to do when a data subject is forgotten (`store.forget`), in whichever process:
   * erase its copies outside the store (a search index, a mailing list). Runs when the
   * `$SubjectForgotten` event reaches the listener: at least once, so make it idempotent.
   *
   * @example
   * ```ts
   * const Mailing = MailingBase.onForget(({ subjectId }) => mailingList.remove(subjectId));
   * ```
   */
  onForget(hook: ListenerHandler<SubjectForgetting>): ListenerDefinition<Name, Schemas>;
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
  const owner = `handler of listener "${name}"`;
  const reads = withSystemStreams(streamTypes, handlers);
  const definition: ListenerDefinition = {
    name,
    streamTypes: reads,
    types: [...handlers.keys()],
    on(type, handler) {
      return build(
        name,
        streamTypes,
        withHandler(handlers, owner, type, handler as ListenerHandler<StoredEvent>),
      );
    },
    onStreamDeleted(hook) {
      return build(name, streamTypes, withHandler(handlers, owner, streamDeletedType, deletionHandler(hook)));
    },
    onForget(hook) {
      return build(
        name,
        streamTypes,
        withHandler(handlers, owner, subjectForgottenType, forgetHandler(hook)),
      );
    },
    async handle(event, context) {
      if (!reads.includes(event.streamType)) return;
      await handlers.get(event.type)?.(event, context);
    },
  };
  return Object.freeze(definition);
}
