import type { EventCatalog, SchemasOf, StoredEventOf, StreamTypesOf } from '../events/event-catalog.js';
import type { EventStore } from '../streams/event-store.js';
import { consumerCheckpointId } from './checkpoint-id.js';
import { type Consumer, type ConsumerOptions, consumerOf, type StartOptions } from './consumer-runner.js';
import { createConsumerRunner } from './partitioned-consumer.js';

/**
 * What a subscription handler gets besides the event.
 *
 * @example
 * ```ts
 * handle: (event, { transaction, attempt }) => table.insert(transaction, event.eventId, attempt),
 * ```
 */
export interface SubscriptionContext<Tx> {
  /** The transaction the checkpoint is saved in: write through it to move both together. */
  readonly transaction: Tx;
  /**
   * 1 on the first try, then 2, 3… while retrying this event on its own (after its page failed as
   * a whole, the event's own tries count from 1 again).
   */
  readonly attempt: number;
}

/**
 * Options of {@link createSubscription}.
 *
 * @example
 * ```ts
 * const options: SubscriptionOptions<[typeof Order], PgClient> = { name: 'audit', handle: audit };
 * ```
 */
export interface SubscriptionOptions<
  Catalogs extends readonly EventCatalog[],
  Tx,
  Types extends keyof SchemasOf<Catalogs> & string = keyof SchemasOf<Catalogs> & string,
> extends ConsumerOptions,
    StartOptions {
  /**
   * The consumer's name; its checkpoint id is `subscription:<name>`. Keep it stable across
   * deployments.
   */
  readonly name: string;
  /** Only these event types (default: all); the handler is typed for them alone. */
  readonly types?: readonly Types[];
  /** Only events of streams of these types (default: all). */
  readonly streamTypes?: readonly StreamTypesOf<Catalogs>[];
  /**
   * Handles one event, in global order, inside a storage transaction that also saves the
   * checkpoint (one transaction for a page of events while catching up; a failing page is redone
   * event by event): what it writes through `context.transaction` happens exactly once.
   */
  readonly handle: (
    event: StoredEventOf<Pick<SchemasOf<Catalogs>, Types>>,
    context: SubscriptionContext<Tx>,
  ) => void | Promise<void>;
}

/**
 * Follows the global log from a durable checkpoint: catches up, then stays live, in order, never
 * skipping or repeating an event. Call `start()` to run it and `stop()` to end it.
 *
 * @example
 * ```ts
 * const audit = createSubscription(store, {
 *   name: 'audit-log',
 *   streamTypes: ['Order'],
 *   handle: (event, { transaction }) => auditTable.insert(transaction, event),
 * });
 * await audit.start();
 * ```
 */
export function createSubscription<
  const Catalogs extends readonly EventCatalog[],
  Tx,
  const Types extends keyof SchemasOf<Catalogs> & string = keyof SchemasOf<Catalogs> & string,
>(store: EventStore<Catalogs, Tx>, options: SubscriptionOptions<Catalogs, Tx, Types>): Consumer {
  const runner = createConsumerRunner(
    store.storage,
    {
      name: options.name,
      checkpointId: consumerCheckpointId('subscription', options.name),
      types: options.types,
      streamTypes: options.streamTypes,
      startFrom: options.startFrom,
      reader: store.reader,
      instrumentation: store.instrumentation,
    },
    {
      // A page, its effects and its checkpoint in one transaction: one commit per page, so a
      // consumer behind under load catches up instead of paying a commit per event.
      delivery: 'exactly-once',
      async applyPage(events, { transaction, attempt }) {
        for (const event of events) {
          // The reader hands over only the subscribed types.
          await options.handle(event as StoredEventOf<Pick<SchemasOf<Catalogs>, Types>>, {
            transaction,
            attempt,
          });
        }
      },
    },
    options,
  );
  return consumerOf(runner);
}
