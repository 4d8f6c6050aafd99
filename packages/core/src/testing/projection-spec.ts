import assert from 'node:assert/strict';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { EventSchemas } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import type { ProjectionDefinition } from '../projections/define-projection.js';
import type { EventStorage } from '../streams/event-storage.js';
import { type GivenEventOf, storeGiven } from './given-events.js';
import type { ExpectedError } from './given-when-then.js';

/**
 * Options of {@link projectionSpec}.
 *
 * @example
 * ```ts
 * projectionSpec(Totals, { storage: () => createSqliteStorage({ path: ':memory:' }) });
 * ```
 */
export interface ProjectionSpecOptions<Tx> {
  /**
   * A fresh storage for each run (default: in-memory). Give one whose transactions your handlers
   * expect, e.g. SQLite in memory for a projection writing SQLite tables.
   */
  readonly storage?: () => EventStorage<Tx>;
  /** The storage's clock, stamping given events without a `timestamp` (in-memory storage only). */
  readonly clock?: () => Date;
}

/**
 * What a projection spec's assertions can read: the storage the handlers wrote to (and its
 * documents), and the read-model version they wrote (1).
 *
 * @example
 * ```ts
 * const rows = ({ storage, version }: ProjectionSpecContext<unknown>) => storage.documents!.list(`totals@${version}`, { limit: 100 });
 * ```
 */
export interface ProjectionSpecContext<Tx> {
  readonly storage: EventStorage<Tx>;
  readonly version: number;
}

/**
 * The assertions of a projection spec (not named `then`, which would make it a thenable).
 *
 * @example
 * ```ts
 * const then: ProjectionThen<unknown> = projectionSpec(Totals).given(events);
 * await then.thenDocuments('totals@1', { 'Order-o1': { total: 10 } });
 * ```
 */
export interface ProjectionThen<Tx> {
  /**
   * Asserts a document collection's content, key by key (deep equality, with a diff on failure).
   *
   * @example
   * ```ts
   * await spec.given(events).thenDocuments('totals@1', { 'Order-o1': { total: 10 } });
   * ```
   */
  thenDocuments(collection: string, expected: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * Asserts what your own query returns once the events are applied (deep equality, with a diff).
   *
   * @example
   * ```ts
   * await spec.given(events).thenQuery(({ storage }) => readTotals(storage), [{ id: 'o1', total: 10 }]);
   * ```
   */
  thenQuery<T>(query: (context: ProjectionSpecContext<Tx>) => T | Promise<T>, expected: T): Promise<void>;
  /**
   * Asserts that a handler fails on these events, as described.
   *
   * @example
   * ```ts
   * await spec.given([badEvent]).thenFails(RangeError);
   * ```
   */
  thenFails(expected: ExpectedError | RegExp): Promise<void>;
}

/**
 * Given-events-then-read-model specifications for projections. Each run takes a fresh storage,
 * stores the given events, applies them with the projection's handlers (batch handlers get runs
 * of events, as while catching up) in one transaction, into version 1, then asserts on the
 * documents or on a query of yours. Accepts the definition, or a function building it from the
 * storage (for read models written through the storage, like keyed documents). Event types and
 * payloads are checked against the projection's catalogs.
 *
 * @example
 * ```ts
 * await projectionSpec((storage) => defineOrdersView(storage))
 *   .given([{ streamId: 'Order-o1', type: 'OrderCreated', data: { items, total: 10 } }])
 *   .thenDocuments('ordersView@1', { 'Order-o1': { status: 'pending', total: 10 } });
 * ```
 */
export function projectionSpec<Name extends string, Schemas extends EventSchemas, Tx = unknown>(
  projection:
    | ProjectionDefinition<Name, Schemas, Tx>
    | ((storage: EventStorage<Tx>) => ProjectionDefinition<Name, Schemas, Tx>),
  options: ProjectionSpecOptions<Tx> = {},
) {
  return {
    given(events: readonly GivenEventOf<Schemas>[]): ProjectionThen<Tx> {
      const run = async (): Promise<ProjectionSpecContext<Tx>> => {
        const storage =
          options.storage?.() ??
          (createInMemoryStorage(
            options.clock === undefined ? {} : { clock: options.clock },
          ) as EventStorage<Tx>);
        const definition = typeof projection === 'function' ? projection(storage) : projection;
        const stored = await storeGiven(storage, events as readonly GivenEventOf<EventSchemas>[], definition);
        const version = 1;
        await storage.transaction((transaction) =>
          definition.handlePage(stored, { transaction, replaying: false, version }),
        );
        return { storage, version };
      };
      const checked = async (check: (context: ProjectionSpecContext<Tx>) => Promise<void>) => {
        const context = await run();
        try {
          await check(context);
        } finally {
          await context.storage.close();
        }
      };
      return {
        thenDocuments: (collection, expected) =>
          checked(async ({ storage }) => {
            const { documents } = storage;
            assert.ok(documents, `storage "${storage.kind}" has no documents to compare`);
            const actual: Record<string, unknown> = {};
            let after: string | undefined;
            for (;;) {
              const page = await documents.list(collection, {
                ...(after === undefined ? {} : { after }),
                limit: 500,
              });
              for (const { key, value } of page) actual[key] = value;
              after = page.at(-1)?.key;
              if (page.length < 500) break;
            }
            assert.deepStrictEqual(actual, expected, `documents of "${collection}" differ`);
          }),
        thenQuery: (query, expected) =>
          checked(async (context) => {
            assert.deepStrictEqual(await query(context), expected, 'the query over the read model differs');
          }),
        thenFails: (expected) => expectFailure(run, expected),
      };
    },
  };
}

/** Asserts that `run` fails as `expected` describes. */
export async function expectFailure(
  run: () => Promise<unknown>,
  expected: ExpectedError | RegExp,
): Promise<void> {
  await assert.rejects(run(), (error: unknown) => {
    if (expected instanceof RegExp) {
      assert.match(error instanceof Error ? error.message : String(error), expected);
    } else if (typeof expected === 'function') {
      assert.ok(error instanceof expected, `expected ${expected.name}, got ${String(error)}`);
    } else if ('code' in expected) {
      assert.ok(
        isHindsightError(error, expected.code),
        `expected code ${expected.code}, got ${String(error)}`,
      );
    } else {
      assert.ok(isHindsightError(error, 'COMMAND_REJECTED'), `expected a rejection, got ${String(error)}`);
      assert.equal(error.reason, expected.reason);
    }
    return true;
  });
}
