import { HandlerFailedError } from '../errors/consumer-errors.js';
import type { StoredEvent } from '../events/event.js';
import type { EventCatalog, EventSchemas, SchemasOf } from '../events/event-catalog.js';
import type { SchemaOutput } from '../events/standard-schema.js';
import { checkDefinitionName, withHandler } from '../internal/checks.js';
import { deletionHandler, forgetHandler, withSystemStreams } from '../internal/system-events.js';
import { type SubjectForgetting, subjectForgottenType } from '../personal/forget-subject.js';
import type { EventStorage } from '../streams/event-storage.js';
import type { InlineProjection } from '../streams/event-store.js';
import { type StreamDeletion, streamDeletedType } from '../streams/stream-lifecycle.js';
import { eventRef } from '../subscriptions/consumer-runner.js';
import { readActiveVersion } from './projection-versions.js';

/**
 * What a projection handler gets besides the event.
 *
 * @example
 * ```ts
 * .on('OrderPaid', (event, { transaction, version, replaying }) => rows(version).paid(transaction, event.streamId))
 * ```
 */
export interface ProjectionContext<Tx> {
  /** The transaction the event (inline) or the checkpoint (async) commits in: write through it. */
  readonly transaction: Tx;
  /** True while rebuilding or replaying history, e.g. to skip work only live events need. */
  readonly replaying: boolean;
  /**
   * The read-model version to write (1 until the first rebuild). A rebuild fills version n+1
   * beside the live version n, then switches: keep one table / key space per version.
   */
  readonly version: number;
}

/**
 * What a projection's reset hook gets: which version (and stream) to clear.
 *
 * @example
 * ```ts
 * .onReset(({ version, streamId }) => (streamId ? rows(version).delete(streamId) : rows(version).clear()))
 * ```
 */
export interface ProjectionResetContext<Tx> {
  readonly transaction: Tx;
  readonly version: number;
  /** Set when only this stream is replayed: clear only what it produced. */
  readonly streamId: string | undefined;
}

/**
 * What a projection's prune hook gets: the retired version whose read-model data to delete, and
 * the transaction that also deletes its checkpoint.
 *
 * @example
 * ```ts
 * .onPrune(({ version, transaction }) => db.dropTable(`order_totals_v${version}`, transaction))
 * ```
 */
export interface ProjectionPruneContext<Tx> {
  readonly transaction: Tx;
  readonly version: number;
}

/**
 * What a projection's activate hook gets when a rebuilt version becomes the live one.
 *
 * @example
 * ```ts
 * .onActivate(({ version, previousVersion }) => db.repointView('orders', version, previousVersion))
 * ```
 */
export interface ProjectionActivateContext<Tx> {
  readonly transaction: Tx;
  readonly version: number;
  /** The version that was live until now (to repoint views, drop its tables, …). */
  readonly previousVersion: number;
}

/**
 * Handles one event type of a projection. Write through `context.transaction`, or make the handler
 * idempotent: an async page that fails is rolled back and its earlier events applied again.
 *
 * @example
 * ```ts
 * const onPaid: ProjectionHandler<StoredEvent<'OrderPaid', { amount: number }>, unknown> = (event) => log(event.data.amount);
 * ```
 */
export type ProjectionHandler<Event, Tx> = (
  event: Event,
  context: ProjectionContext<Tx>,
) => void | Promise<void>;

/**
 * Handles a run of consecutive events of some types at once, e.g. to write them with one
 * multi-row statement. The events come in global order.
 *
 * @example
 * ```ts
 * const onTotals: ProjectionBatchHandler<StoredEvent<'OrderCreated', { total: number }>, unknown> = (events) => log(events.length);
 * ```
 */
export type ProjectionBatchHandler<Event, Tx> = (
  events: readonly Event[],
  context: ProjectionContext<Tx>,
) => void | Promise<void>;

/** The stored events of `Types`, each with its own payload type. */
type StoredEventsOf<Schemas extends EventSchemas, Types extends keyof Schemas & string> = {
  [Type in Types]: StoredEvent<Type, SchemaOutput<Schemas[Type]>>;
}[Types];

/**
 * A read model: typed handlers per event type, plus hooks for rebuilds. Run it inline (pass it to
 * `createEventStore({ inline })`) or async (`createProjectionRunner`). Immutable: every builder
 * method returns a new definition.
 *
 * @example
 * ```ts
 * const Totals: ProjectionDefinition<'totals'> = defineProjection('totals', { from: [Order] });
 * ```
 */
export interface ProjectionDefinition<
  Name extends string = string,
  Schemas extends EventSchemas = EventSchemas,
  Tx = unknown,
> extends InlineProjection<Tx> {
  readonly name: Name;
  /** The stream types the projection reads (from its catalogs; `$personal-data` with `onForget`). */
  readonly streamTypes: readonly string[];
  /** The event types it has handlers for (`$StreamDeleted`, `$SubjectForgotten` for its hooks). */
  readonly types: readonly string[];
  /**
   * Adds the handler of one event type; its payload type comes from the catalogs.
   *
   * @example
   * ```ts
   * const Totals = defineProjection('totals', { from: [Order] })
   *   .on('OrderCreated', (event, { version }) => totals(version).set(event.streamId, event.data.total));
   * ```
   */
  on<Type extends keyof Schemas & string>(
    type: Type,
    handler: ProjectionHandler<StoredEvent<Type, SchemaOutput<Schemas[Type]>>, Tx>,
  ): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Adds one handler for several event types that gets consecutive events of those types
   * together: a page while catching up or rebuilding, an append's events inline. Write them at
   * once (a multi-row upsert) instead of a statement per event. Order is kept: events of types
   * handled by `on` split the run.
   *
   * @example
   * ```ts
   * const Totals = defineProjection('totals', { from: [Order] })
   *   .onBatch(['OrderCreated', 'OrderPaid'], (events, { version }) => totals(version).upsertAll(events));
   * ```
   */
  onBatch<const Types extends readonly (keyof Schemas & string)[]>(
    types: Types,
    handler: ProjectionBatchHandler<StoredEventsOf<Schemas, Types[number]>, Tx>,
  ): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Sets what to do when a stream of the projection's stream types is deleted (`deleteStream`):
   * typically remove the rows it produced. It runs when the `$StreamDeleted` tombstone passes the
   * projection, like a handler: in the page's transaction with the checkpoint (async, so exactly
   * once), and again on a rebuild.
   *
   * @example
   * ```ts
   * const Totals = TotalsBase.onStreamDeleted(({ streamId }, { version, transaction }) =>
   *   totals(version).delete(streamId, transaction),
   * );
   * ```
   */
  onStreamDeleted(hook: ProjectionHandler<StreamDeletion, Tx>): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Sets what to do when a data subject is forgotten (`store.forget`), whichever process forgot
   * it: erase the subject's copies (names, emails) from the read model. It runs when the
   * `$SubjectForgotten` event passes the projection, like a handler: in the page's transaction
   * with the checkpoint (async, so exactly once), inline in the transaction of the forget's
   * event, and again on a rebuild.
   *
   * @example
   * ```ts
   * const Customers = CustomersBase.onForget(({ subjectId }, { version, transaction }) =>
   *   customers(version).erase(subjectId, transaction),
   * );
   * ```
   */
  onForget(hook: ProjectionHandler<SubjectForgetting, Tx>): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Sets how to clear a read-model version (all of it, or one stream's part) before a rebuild
   * or a replay fills it again.
   *
   * @example
   * ```ts
   * const Totals = TotalsBase.onReset(({ version, streamId }) => totals(version).clear(streamId));
   * ```
   */
  onReset(
    hook: (context: ProjectionResetContext<Tx>) => void | Promise<void>,
  ): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Runs in the transaction that makes a rebuilt version live, e.g. to repoint a view or drop the
   * previous version's tables.
   *
   * @example
   * ```ts
   * const Totals = TotalsBase.onActivate(({ previousVersion }) => totalsByVersion.delete(previousVersion));
   * ```
   */
  onActivate(
    hook: (context: ProjectionActivateContext<Tx>) => void | Promise<void>,
  ): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Sets how to delete a retired version's read-model data (its tables, its key space) when
   * `pruneProjection` removes that version. Core cannot know where a read model lives, so without
   * this hook pruning deletes only the version's checkpoint.
   *
   * @example
   * ```ts
   * const Totals = TotalsBase.onPrune(({ version, transaction }) => totals(version).drop(transaction));
   * ```
   */
  onPrune(
    hook: (context: ProjectionPruneContext<Tx>) => void | Promise<void>,
  ): ProjectionDefinition<Name, Schemas, Tx>;
  /**
   * Declares the storage's transaction type handlers receive (e.g. `InMemoryTransaction`, a pg
   * client); types only.
   *
   * @example
   * ```ts
   * const Totals = defineProjection('totals', { from: [Order] }).withTransaction<InMemoryTransaction>();
   * ```
   */
  withTransaction<T>(): ProjectionDefinition<Name, Schemas, T>;
  /** Applies one event if the projection handles it. */
  handle(event: StoredEvent, context: ProjectionContext<Tx>): Promise<void>;
  /**
   * Applies the events it handles of a page in global order, consecutive events of a batch
   * handler's types in one call.
   */
  handlePage(events: readonly StoredEvent[], context: ProjectionContext<Tx>): Promise<void>;
  /** Runs the reset hook (nothing without one). */
  reset(context: ProjectionResetContext<Tx>): Promise<void>;
  /** Runs the activate hook (nothing without one). */
  activate(context: ProjectionActivateContext<Tx>): Promise<void>;
  /** Runs the prune hook; false when there is none (the read-model data was left). */
  prune(context: ProjectionPruneContext<Tx>): Promise<boolean>;
}

/**
 * Options of {@link defineProjection}.
 *
 * @example
 * ```ts
 * defineProjection('orderSummaries', { from: [Order, Payment] });
 * ```
 */
export interface ProjectionOptions<Catalogs extends readonly EventCatalog[]> {
  /** The aggregates / stream types whose events the projection reads. */
  readonly from: Catalogs;
}

/** How one event type is handled: on its own, or in runs by a batch handler. */
type Route<Tx> =
  | { readonly kind: 'each'; readonly handler: ProjectionHandler<StoredEvent, Tx> }
  | { readonly kind: 'batch'; readonly handler: ProjectionBatchHandler<StoredEvent, Tx> };

interface Parts<Tx> {
  readonly name: string;
  readonly streamTypes: readonly string[];
  readonly handlers: ReadonlyMap<string, Route<Tx>>;
  readonly resetHook: ((context: ProjectionResetContext<Tx>) => void | Promise<void>) | undefined;
  readonly activateHook: ((context: ProjectionActivateContext<Tx>) => void | Promise<void>) | undefined;
  readonly pruneHook: ((context: ProjectionPruneContext<Tx>) => void | Promise<void>) | undefined;
}

/**
 * Starts a projection (read model) over the events of some aggregates or stream types. Handler
 * payloads are inferred from the catalogs' schemas.
 *
 * The rule for handlers: a read model's writes go through the context's `transaction` (they then
 * commit with the events inline, or with the checkpoint async), or the handler is idempotent.
 * Anything else is written more than once: when a page of an async projection fails, its
 * transaction rolls back and the runner applies the page's earlier events again, one by one, to
 * find the failing event; a crash before the checkpoint commits replays them too.
 *
 * @example
 * ```ts
 * const storage = createInMemoryStorage();
 * const documents = storage.documents;
 * if (documents === undefined) throw new Error('the in-memory storage has documents');
 * // Written through the transaction: rolled back with a failed page, so a redo never counts twice.
 * const OrderSummaries = defineProjection('orderSummaries', { from: [Order] })
 *   .withTransaction<InMemoryTransaction>()
 *   .on('OrderCreated', (event, { transaction, version }) =>
 *     documents.put(`summaries@${version}`, event.streamId, { status: 'open', total: event.data.total }, transaction),
 *   )
 *   .on('OrderPaid', async (event, { transaction, version }) => {
 *     const summary = await documents.get(`summaries@${version}`, event.streamId, transaction);
 *     if (summary) await documents.put(`summaries@${version}`, event.streamId, { ...(summary.value as object), status: 'paid' }, transaction);
 *   });
 * const store = createEventStore({ storage, events: [Order], inline: [OrderSummaries] });
 * ```
 */
export function defineProjection<const Name extends string, const Catalogs extends readonly EventCatalog[]>(
  name: Name,
  options: ProjectionOptions<Catalogs>,
): ProjectionDefinition<Name, SchemasOf<Catalogs>> {
  checkDefinitionName('projection', name);
  return build({
    name,
    streamTypes: options.from.map((catalog) => catalog.streamType),
    handlers: new Map(),
    resetHook: undefined,
    activateHook: undefined,
    pruneHook: undefined,
  }) as ProjectionDefinition<Name, SchemasOf<Catalogs>>;
}

function build<Tx>(parts: Parts<Tx>): ProjectionDefinition<string, EventSchemas, Tx> {
  const { name, handlers } = parts;
  const streamTypes = withSystemStreams(parts.streamTypes, handlers);
  const owner = `handler of projection "${name}"`;
  /** The page's handled events as calls in order: single events, and runs for batch handlers. */
  function* calls(events: readonly StoredEvent[]): Generator<Call<Tx>> {
    let run: { handler: ProjectionBatchHandler<StoredEvent, Tx>; events: StoredEvent[] } | undefined;
    for (const event of events) {
      const route = handlers.get(event.type);
      if (route === undefined || !streamTypes.includes(event.streamType)) continue;
      if (route.kind === 'batch' && run?.handler === route.handler) {
        run.events.push(event);
        continue;
      }
      if (run !== undefined) yield batchCall(run.handler, run.events);
      run = undefined;
      if (route.kind === 'batch') run = { handler: route.handler, events: [event] };
      else yield { first: event, apply: (context) => route.handler(event, context) };
    }
    if (run !== undefined) yield batchCall(run.handler, run.events);
  }
  const definition: ProjectionDefinition<string, EventSchemas, Tx> = {
    name,
    streamTypes,
    types: [...handlers.keys()],
    on(type, handler) {
      const route: Route<Tx> = { kind: 'each', handler: handler as ProjectionHandler<StoredEvent, Tx> };
      return build({ ...parts, handlers: withHandler(handlers, owner, type, route) });
    },
    onBatch(types, handler) {
      const route: Route<Tx> = { kind: 'batch', handler: handler as ProjectionBatchHandler<StoredEvent, Tx> };
      const routes = types.reduce((all, type) => withHandler(all, owner, type, route), handlers);
      return build({ ...parts, handlers: routes });
    },
    onStreamDeleted(hook) {
      const route: Route<Tx> = { kind: 'each', handler: deletionHandler(hook) };
      return build({ ...parts, handlers: withHandler(handlers, owner, streamDeletedType, route) });
    },
    onForget(hook) {
      const route: Route<Tx> = { kind: 'each', handler: forgetHandler(hook) };
      return build({ ...parts, handlers: withHandler(handlers, owner, subjectForgottenType, route) });
    },
    onReset: (resetHook) => build({ ...parts, resetHook }),
    onActivate: (activateHook) => build({ ...parts, activateHook }),
    onPrune: (pruneHook) => build({ ...parts, pruneHook }),
    withTransaction: <T>() => definition as unknown as ProjectionDefinition<string, EventSchemas, T>,
    handle: (event, context) => definition.handlePage([event], context),
    async handlePage(events, context) {
      for (const call of calls(events)) await call.apply(context);
    },
    async reset(context) {
      await parts.resetHook?.(context);
    },
    async activate(context) {
      await parts.activateHook?.(context);
    },
    async prune(context) {
      if (parts.pruneHook === undefined) return false;
      await parts.pruneHook(context);
      return true;
    },
    async applyInline(storage: EventStorage<Tx>, transaction: Tx, events: readonly StoredEvent[]) {
      const version = await readActiveVersion(storage, name, transaction);
      for (const call of calls(events)) {
        try {
          await call.apply({ transaction, replaying: false, version });
        } catch (error) {
          throw new HandlerFailedError({
            consumer: name,
            event: eventRef(call.first),
            attempts: 1,
            cause: error,
          });
        }
      }
    },
  };
  return Object.freeze(definition);
}

/** One handler call of a page, named by its first event when it fails. */
interface Call<Tx> {
  readonly first: StoredEvent;
  apply(context: ProjectionContext<Tx>): void | Promise<void>;
}

function batchCall<Tx>(handler: ProjectionBatchHandler<StoredEvent, Tx>, events: StoredEvent[]): Call<Tx> {
  return { first: events[0] as StoredEvent, apply: (context) => handler(events, context) };
}
