import fc from 'fast-check';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import { createRepository } from '../aggregates/aggregate-repository.js';
import { defineAggregate } from '../aggregates/define-aggregate.js';
import { isHindsightError } from '../errors/hindsight-error.js';
import type { StoredEvent } from '../events/event.js';
import { createInMemoryStorage, type InMemoryTransaction } from '../memory/in-memory-storage.js';
import { createEventStore } from '../streams/event-store.js';
import { defineProjection } from './define-projection.js';
import { createProjectionRunner, rebuildProjection } from './projection-runner.js';
import { activeProjectionVersion } from './projection-versions.js';

const Order = defineAggregate('Order')
  .events({
    OrderCreated: z.object({ total: z.number() }),
    OrderPaid: z.object({ amount: z.number() }),
    OrderNoted: z.object({ note: z.string() }),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'open' | 'paid', total: 0 }))
  .evolve({
    OrderCreated: (state, { data }) => ({ ...state, status: 'open', total: data.total }),
    OrderPaid: (state) => ({ ...state, status: 'paid' }),
    OrderNoted: (state) => state,
  })
  .commands({
    create: (_state, input: { total: number }) => ({ type: 'OrderCreated', data: input }),
    pay: (state, input: { amount: number }, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN');
      return { type: 'OrderPaid', data: input };
    },
  });

interface Summary {
  status: string;
  total: number;
  paid: number;
  /** Events applied to the row: any event applied twice shows here. */
  events: number;
}

/** A versioned in-memory read model whose writes undo themselves when their transaction fails. */
function createSummaries() {
  const versions = new Map<number, Map<string, Summary>>();
  const table = (version: number) => {
    const existing = versions.get(version);
    if (existing !== undefined) return existing;
    const created = new Map<string, Summary>();
    versions.set(version, created);
    return created;
  };
  const write = (tx: InMemoryTransaction, version: number, id: string, next: Summary | undefined) => {
    const rows = table(version);
    const before = rows.get(id);
    if (next === undefined) rows.delete(id);
    else rows.set(id, next);
    tx.onRollback(() => {
      if (before === undefined) rows.delete(id);
      else rows.set(id, before);
    });
  };
  const log: { type: string; replaying: boolean; version: number }[] = [];
  const resets: { version: number; streamId: string | undefined }[] = [];
  const activations: { version: number; previousVersion: number }[] = [];
  const projection = defineProjection('orderSummaries', { from: [Order] })
    .withTransaction<InMemoryTransaction>()
    .on('OrderCreated', (event, { transaction, version, replaying }) => {
      expectTypeOf(event.data).toEqualTypeOf<{ total: number }>();
      log.push({ type: event.type, replaying, version });
      const events = (table(version).get(event.streamId)?.events ?? 0) + 1;
      write(transaction, version, event.streamId, {
        status: 'open',
        total: event.data.total,
        paid: 0,
        events,
      });
    })
    .on('OrderPaid', (event, { transaction, version, replaying }) => {
      expectTypeOf(event.data).toEqualTypeOf<{ amount: number }>();
      log.push({ type: event.type, replaying, version });
      const row = table(version).get(event.streamId);
      if (row === undefined) throw new Error(`no summary for ${event.streamId}`);
      write(transaction, version, event.streamId, {
        ...row,
        status: 'paid',
        paid: row.paid + event.data.amount,
        events: row.events + 1,
      });
    })
    .onReset(({ transaction, version, streamId }) => {
      resets.push({ version, streamId });
      for (const id of [...table(version).keys()]) {
        if (streamId === undefined || id === streamId) write(transaction, version, id, undefined);
      }
    })
    .onActivate(({ version, previousVersion }) => {
      activations.push({ version, previousVersion });
    });
  return { projection, table, log, resets, activations };
}

/** The read model a full replay of the log gives: the reference async runs must equal. */
function fold(events: readonly StoredEvent[]): Map<string, Summary> {
  const rows = new Map<string, Summary>();
  for (const event of events) {
    const data = event.data as { total?: number; amount?: number };
    const events = (rows.get(event.streamId)?.events ?? 0) + 1;
    if (event.type === 'OrderCreated') {
      rows.set(event.streamId, { status: 'open', total: data.total ?? 0, paid: 0, events });
    }
    const row = rows.get(event.streamId);
    if (event.type === 'OrderPaid' && row !== undefined) {
      rows.set(event.streamId, { ...row, status: 'paid', paid: row.paid + (data.amount ?? 0), events });
    }
  }
  return rows;
}

async function allEvents(store: { readAll(): AsyncIterable<StoredEvent> }): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

describe("defineProjection's documented example", () => {
  it('runs as written, through the storage documents', async () => {
    // The TSDoc example of defineProjection, as a user would copy it.
    const storage = createInMemoryStorage();
    const documents = storage.documents;
    if (documents === undefined) throw new Error('the in-memory storage has documents');
    // Written through the transaction: rolled back with a failed page, so a redo never counts twice.
    const OrderSummaries = defineProjection('orderSummaries', { from: [Order] })
      .withTransaction<InMemoryTransaction>()
      .on('OrderCreated', (event, { transaction, version }) =>
        documents.put(
          `summaries@${version}`,
          event.streamId,
          { status: 'open', total: event.data.total },
          transaction,
        ),
      )
      .on('OrderPaid', async (event, { transaction, version }) => {
        const summary = await documents.get(`summaries@${version}`, event.streamId, transaction);
        if (summary)
          await documents.put(
            `summaries@${version}`,
            event.streamId,
            { ...(summary.value as object), status: 'paid' },
            transaction,
          );
      });
    const store = createEventStore({ storage, events: [Order], inline: [OrderSummaries] });

    const orders = createRepository(store, Order);
    await orders.execute('o1', (order) => order.create({ total: 5 }).pay({ amount: 5 }));
    expect((await documents.get('summaries@1', 'Order-o1'))?.value).toEqual({ status: 'paid', total: 5 });
  });
});

describe('inline projections', () => {
  it('commit with the append, and a throwing handler rolls the whole append back', async () => {
    const summaries = createSummaries();
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Order], inline: [summaries.projection] });
    const orders = createRepository(store, Order);

    await orders.execute('o1', 'create', { total: 30 });
    expect(summaries.table(1).get('Order-o1')).toEqual({ status: 'open', total: 30, paid: 0, events: 1 });

    // OrderPaid for an order the projection never saw makes its handler throw.
    // Handlers of one append see the writes of the events before them in it.
    await store.append(
      'Order-o2',
      [
        { type: 'OrderCreated', data: { total: 5 } },
        { type: 'OrderPaid', data: { amount: 5 } },
      ],
      { streamType: 'Order' },
    );
    expect(summaries.table(1).get('Order-o2')).toEqual({ status: 'paid', total: 5, paid: 5, events: 2 });
    const rejected = await store
      .append('Order-o3', [{ type: 'OrderPaid', data: { amount: 1 } }], { streamType: 'Order' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isHindsightError(rejected, 'HANDLER_FAILED')).toBe(true);
    expect((rejected as Error).message).toContain('Consumer "orderSummaries" failed on OrderPaid event');
    expect((rejected as Error).message).toContain('stream "Order-o3"');
    expect(await store.streamInfo('Order-o3')).toBeUndefined();
    expect(await store.headPosition()).toBe(3);
    expect(summaries.table(1).has('Order-o3')).toBe(false);

    // A failure in a later event of the batch undoes the earlier events' read-model changes too.
    const before = structuredClone([...summaries.table(1)]);
    await expect(
      store.append(
        'Order-o4',
        [
          { type: 'OrderCreated', data: { total: 7 } },
          { type: 'OrderPaid', data: { amount: 7 } },
        ],
        {
          streamType: 'Order',
          inTransaction: async () => {
            throw new Error('later hook fails');
          },
        },
      ),
    ).rejects.toThrow('later hook fails');
    expect([...summaries.table(1)]).toEqual(before);
    expect(await store.streamInfo('Order-o4')).toBeUndefined();
  });

  it('rebuilds beside the live version, keeps serving it, and switches with the writes made meanwhile', async () => {
    const summaries = createSummaries();
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Order], inline: [summaries.projection] });
    const orders = createRepository(store, Order);
    for (let i = 0; i < 20; i += 1) await orders.execute(`o${i}`, 'create', { total: i });
    await orders.execute('o3', 'pay', { amount: 3 });

    const progress: number[] = [];
    let wroteDuringRebuild = false;
    const result = await rebuildProjection(store, summaries.projection, {
      batchSize: 4,
      onProgress: ({ position, version }) => {
        expect(version).toBe(2);
        progress.push(position);
        if (!wroteDuringRebuild && position >= 10) {
          wroteDuringRebuild = true;
          // Readers still get version 1 while version 2 is built; writes keep landing in it.
          expect(summaries.table(1).size).toBe(20);
          void orders.execute('late', 'create', { total: 99 });
        }
      },
    });
    expect(result).toEqual({ version: 2, previousVersion: 1, events: 22, resumed: false });
    expect(await activeProjectionVersion(store, summaries.projection)).toBe(2);
    expect(summaries.resets).toEqual([{ version: 2, streamId: undefined }]);
    expect(summaries.activations).toEqual([{ version: 2, previousVersion: 1 }]);
    expect(progress.at(-1)).toBe(22);
    expect(summaries.table(1).get('Order-late')).toEqual({ status: 'open', total: 99, paid: 0, events: 1 });
    expect([...summaries.table(2)].sort()).toEqual([...fold(await allEvents(store))].sort());
    expect(summaries.log.filter((entry) => entry.version === 2).every((entry) => entry.replaying)).toBe(true);

    // After the switch, inline updates go to the new version only.
    await orders.execute('after', 'create', { total: 1 });
    expect(summaries.table(2).has('Order-after')).toBe(true);
    expect(summaries.table(1).has('Order-after')).toBe(false);
  });
});

describe('async projections', () => {
  it('run in partitions, and change their count by a rebuild into a new version', async () => {
    const summaries = createSummaries();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
    const orders = createRepository(store, Order);
    for (let i = 0; i < 20; i += 1) await orders.execute(`o${i}`, 'create', { total: i });
    const four = createProjectionRunner(store, summaries.projection, { partitions: 4, batchSize: 3 });
    await four.start();
    for (let i = 0; i < 20; i += 2) await orders.execute(`o${i}`, 'pay', { amount: i });
    await four.waitUntilCaughtUp();
    const status = await four.status();
    expect(status.partitions?.map((partition) => partition.position)).toEqual([30, 30, 30, 30]);
    await four.stop();
    expect([...summaries.table(1).values()].map((row) => row.events).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => (i < 10 ? 1 : 2)),
    );

    // Another count on the same version would misread the partition checkpoints: refused.
    const two = createProjectionRunner(store, summaries.projection, { partitions: 2 });
    const refused = await two.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isHindsightError(refused, 'PARTITION_COUNT_CHANGED')).toBe(true);
    // The documented way: rebuild into a new version; its partitions start from the switch.
    expect(await rebuildProjection(store, summaries.projection)).toMatchObject({ version: 2, events: 30 });
    const moved = createProjectionRunner(store, summaries.projection, { partitions: 2 });
    await moved.start();
    await orders.execute('o1', 'pay', { amount: 1 });
    await orders.execute('o3', 'pay', { amount: 3 });
    await moved.waitUntilCaughtUp();
    await moved.stop();
    expect(summaries.table(2).get('Order-o1')).toMatchObject({ status: 'paid', events: 2 });
    expect(summaries.table(2).get('Order-o2')).toMatchObject({ status: 'paid', events: 2 });
    expect(await store.storage.loadCheckpoint('projection:orderSummaries@2#p0/2')).toBe(32);

    // Replaying one stream reads it up to where its partition stands.
    summaries.table(2).set('Order-o3', { status: 'bogus', total: -1, paid: -1, events: -1 });
    const replayed = await moved.rebuild({ streamId: 'Order-o3' });
    expect(replayed).toMatchObject({ version: 2, events: 2 });
    expect(summaries.table(2).get('Order-o3')).toMatchObject({ status: 'paid', total: 3, events: 2 });
  });

  it('apply each event with its checkpoint, and replay one stream in place', async () => {
    const summaries = createSummaries();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
    const orders = createRepository(store, Order);
    const runner = createProjectionRunner(store, summaries.projection);
    await runner.start();
    await orders.execute('o1', 'create', { total: 10 });
    await orders.execute('o2', 'create', { total: 20 });
    await orders.execute('o1', 'pay', { amount: 10 });
    await runner.waitUntilCaughtUp();
    expect(summaries.table(1).get('Order-o1')).toEqual({ status: 'paid', total: 10, paid: 10, events: 2 });
    expect(await store.storage.loadCheckpoint('projection:orderSummaries@1')).toBe(3);
    expect(summaries.log.every((entry) => !entry.replaying)).toBe(true);

    // Damage one stream's rows, then replay just that stream.
    summaries.table(1).set('Order-o1', { status: 'bogus', total: -1, paid: -1, events: -1 });
    const replay = await runner.rebuild({ streamId: 'Order-o1' });
    expect(replay).toEqual({ version: 1, previousVersion: 1, events: 2, resumed: false });
    expect(summaries.resets).toEqual([{ version: 1, streamId: 'Order-o1' }]);
    expect(summaries.table(1).get('Order-o1')).toEqual({ status: 'paid', total: 10, paid: 10, events: 2 });
    expect(summaries.table(1).get('Order-o2')).toEqual({ status: 'open', total: 20, paid: 0, events: 1 });
    await runner.stop();
  });

  it('catches up a page per transaction, and falls back to one event at a time to name a failing one', async () => {
    const summaries = createSummaries();
    const inner = createInMemoryStorage();
    let transactions = 0;
    const storage = new Proxy(inner, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property !== 'transaction' || typeof value !== 'function') {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (work: (tx: InMemoryTransaction) => Promise<unknown>) => {
          transactions += 1;
          return value.call(target, work);
        };
      },
    });
    const store = createEventStore({ storage, events: [Order] });
    const orders = createRepository(store, Order);
    for (let i = 0; i < 250; i += 1) await orders.execute(`o${i}`, 'create', { total: i });
    await orders.execute('o7', 'pay', { amount: 7 });
    const runner = createProjectionRunner(store, summaries.projection, { batchSize: 100, lease: false });
    await runner.start();
    await runner.waitUntilCaughtUp();
    expect(summaries.table(1).size).toBe(250);
    expect(summaries.table(1).get('Order-o7')).toEqual({ status: 'paid', total: 7, paid: 7, events: 2 });
    // 251 events in pages of 100: three transactions (plus at most one for the final checkpoint).
    expect(transactions).toBeLessThanOrEqual(4);
    await runner.stop();

    // An event whose handler fails: its page is rolled back whole, then retried event by event,
    // so the events before it commit and the consumer fails on exactly that event.
    await store.append('Order-o300', [{ type: 'OrderPaid', data: { amount: 1 } }], { streamType: 'Order' });
    await orders.execute('o301', 'create', { total: 1 });
    const failing = createProjectionRunner(store, summaries.projection, {
      batchSize: 100,
      lease: false,
      retry: { attempts: 2, initialDelayMs: 1 },
    });
    await failing.start();
    await expect(failing.waitUntilCaughtUp()).rejects.toMatchObject({ code: 'HANDLER_FAILED' });
    const status = await failing.status();
    expect(status.state).toBe('failed');
    expect(status.position).toBe(251);
    expect(summaries.table(1).has('Order-o301')).toBe(false);
    await failing.stop();
  });

  it('rebuild switches a running runner to the new version without stopping it', async () => {
    const summaries = createSummaries();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
    const orders = createRepository(store, Order);
    const runner = createProjectionRunner(store, summaries.projection, { batchSize: 3 });
    await runner.start();
    for (let i = 0; i < 10; i += 1) await orders.execute(`o${i}`, 'create', { total: i });
    await runner.waitUntilCaughtUp();
    const result = await runner.rebuild();
    expect(result).toMatchObject({ version: 2, previousVersion: 1, events: 10 });
    expect(await runner.activeVersion()).toBe(2);
    await orders.execute('o10', 'create', { total: 10 });
    await runner.waitUntilCaughtUp();
    expect(summaries.table(2).get('Order-o10')).toEqual({ status: 'open', total: 10, paid: 0, events: 1 });
    expect(summaries.table(1).has('Order-o10')).toBe(false);
    expect((await runner.status()).state).toBe('running');
    await runner.stop();
  });

  it('reads its live version once per page while catching up, not twice', async () => {
    const summaries = createSummaries();
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [Order] });
    const orders = createRepository(store, Order);
    for (let i = 0; i < 30; i += 1) await orders.execute(`o${i}`, 'create', { total: i });
    const documents = storage.documents;
    if (documents === undefined) throw new Error('the memory storage keeps documents');
    const get = vi.spyOn(documents, 'get');
    const runner = createProjectionRunner(store, summaries.projection, { batchSize: 3 });
    await runner.start();
    await runner.waitUntilCaughtUp();
    await runner.stop();
    expect(summaries.table(1).size).toBe(30);
    const versionReads = get.mock.calls.filter(
      ([collection]) => collection === 'hindsight.projection-versions',
    );
    // Ten pages: one read in each page's transaction, a few around start and the last empty read.
    expect(versionReads.length).toBeLessThanOrEqual(14);
  });

  it('equals a full replay after random interleavings of writes, restarts and transient failures', async () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('create' as const),
        order: fc.integer({ min: 0, max: 5 }),
        total: fc.integer({ min: 1, max: 100 }),
      }),
      fc.record({
        kind: fc.constant('pay' as const),
        order: fc.integer({ min: 0, max: 5 }),
        amount: fc.integer({ min: 1, max: 100 }),
      }),
      fc.record({ kind: fc.constant('restart' as const) }),
      fc.record({ kind: fc.constant('settle' as const) }),
      fc.record({ kind: fc.constant('flaky' as const), failures: fc.integer({ min: 1, max: 2 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        async (steps, batchSize) => {
          const summaries = createSummaries();
          let failuresLeft = 0;
          // Fails the next handler calls after its write: the transaction must undo the write.
          const flaky = summaries.projection
            .on('OrderNoted', () => {})
            .withTransaction<InMemoryTransaction>();
          const projection = {
            ...flaky,
            handlePage: async (
              events: readonly StoredEvent[],
              context: Parameters<typeof flaky.handlePage>[1],
            ) => {
              await flaky.handlePage(events, context);
              if (failuresLeft > 0) {
                failuresLeft -= 1;
                throw new Error('transient');
              }
            },
          };
          const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
          const options = { batchSize, pollIntervalMs: 5, retry: { attempts: 4, initialDelayMs: 0 } };
          let runner = createProjectionRunner(store, projection, options);
          await runner.start();
          const writes: Promise<unknown>[] = [];
          for (const action of steps) {
            if (action.kind === 'create') {
              writes.push(
                store.append(
                  `Order-o${action.order}`,
                  [{ type: 'OrderCreated', data: { total: action.total } }],
                  {
                    streamType: 'Order',
                  },
                ),
              );
            } else if (action.kind === 'pay') {
              const info = await store.streamInfo(`Order-o${action.order}`);
              if (info !== undefined) {
                writes.push(
                  store.append(
                    `Order-o${action.order}`,
                    [{ type: 'OrderPaid', data: { amount: action.amount } }],
                    {
                      streamType: 'Order',
                    },
                  ),
                );
              }
            } else if (action.kind === 'restart') {
              await runner.stop();
              runner = createProjectionRunner(store, projection, options);
              await runner.start();
            } else if (action.kind === 'settle') {
              await runner.waitUntilCaughtUp();
            } else {
              failuresLeft = action.failures;
            }
          }
          await Promise.all(writes);
          await runner.waitUntilCaughtUp();
          await runner.stop();
          const expected = fold(await allEvents(store));
          expect(new Map([...summaries.table(1)].sort())).toEqual(new Map([...expected].sort()));
          // A rebuild from scratch lands on the same read model.
          await runner.rebuild();
          expect(new Map([...summaries.table(2)].sort())).toEqual(new Map([...expected].sort()));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('batch handlers', () => {
  /** Totals per order written by one batch handler; notes by a per-event handler between runs. */
  function createBatchedTotals() {
    const versions = new Map<number, Map<string, number>>();
    const table = (version: number) => {
      const rows = versions.get(version) ?? new Map<string, number>();
      versions.set(version, rows);
      return rows;
    };
    const calls: string[][] = [];
    let failOn: string | undefined;
    const projection = defineProjection('batchedTotals', { from: [Order] })
      .withTransaction<InMemoryTransaction>()
      .onBatch(['OrderCreated', 'OrderPaid'], (events, { transaction, version }) => {
        expectTypeOf(events[0]?.data).toEqualTypeOf<{ total: number } | { amount: number } | undefined>();
        calls.push(events.map((event) => event.type));
        const rows = table(version);
        const before = new Map(rows);
        transaction.onRollback(() => {
          rows.clear();
          for (const [key, value] of before) rows.set(key, value);
        });
        for (const event of events) {
          if (event.streamId === failOn) throw new Error(`refused ${event.streamId}`);
          const amount = event.type === 'OrderCreated' ? event.data.total : -event.data.amount;
          rows.set(event.streamId, (rows.get(event.streamId) ?? 0) + amount);
        }
      })
      .on('OrderNoted', (event) => {
        calls.push([`note ${event.data.note}`]);
      });
    return {
      projection,
      calls,
      table,
      failOn: (streamId: string | undefined) => {
        failOn = streamId;
      },
    };
  }

  it('get runs of consecutive events in order, split by events of per-event handlers', async () => {
    const totals = createBatchedTotals();
    const store = createEventStore({
      storage: createInMemoryStorage(),
      events: [Order],
      inline: [totals.projection],
    });
    await store.append(
      'Order-a',
      [
        { type: 'OrderCreated', data: { total: 10 } },
        { type: 'OrderPaid', data: { amount: 4 } },
        { type: 'OrderNoted', data: { note: 'x' } },
        { type: 'OrderPaid', data: { amount: 1 } },
      ],
      { streamType: 'Order' },
    );
    expect(totals.calls).toEqual([['OrderCreated', 'OrderPaid'], ['note x'], ['OrderPaid']]);
    expect(totals.table(1).get('Order-a')).toBe(5);
    expect(() =>
      defineProjection('twice', { from: [Order] })
        .on('OrderPaid', () => {})
        .onBatch(['OrderPaid'], () => {}),
    ).toThrow('is declared twice');
  });

  it('inline: a failing batch rolls the append back and names its first event', async () => {
    const totals = createBatchedTotals();
    const store = createEventStore({
      storage: createInMemoryStorage(),
      events: [Order],
      inline: [totals.projection],
    });
    totals.failOn('Order-bad');
    const appending = store.append(
      'Order-bad',
      [
        { type: 'OrderCreated', data: { total: 3 } },
        { type: 'OrderPaid', data: { amount: 3 } },
      ],
      { streamType: 'Order' },
    );
    await expect(appending).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
      consumer: 'batchedTotals',
      event: { type: 'OrderCreated', streamId: 'Order-bad' },
    });
    expect(await store.streamInfo('Order-bad')).toBeUndefined();
    expect(totals.table(1).size).toBe(0);
  });

  it('async: a page at a time; a failing page is retried event by event, and a rebuild fills pages too', async () => {
    const totals = createBatchedTotals();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
    for (let i = 0; i < 25; i += 1) {
      await store.append(`Order-${i}`, [{ type: 'OrderCreated', data: { total: i } }], {
        streamType: 'Order',
      });
    }
    const runner = createProjectionRunner(store, totals.projection, {
      batchSize: 10,
      lease: false,
      retry: { attempts: 2, initialDelayMs: 1 },
    });
    await runner.start();
    await runner.waitUntilCaughtUp();
    expect(totals.calls.map((call) => call.length)).toEqual([10, 10, 5]);
    expect([...totals.table(1).values()].reduce((sum, total) => sum + total, 0)).toBe(300);

    totals.calls.length = 0;
    totals.failOn('Order-27');
    for (let i = 25; i < 30; i += 1) {
      await store.append(`Order-${i}`, [{ type: 'OrderCreated', data: { total: i } }], {
        streamType: 'Order',
      });
    }
    await expect(runner.waitUntilCaughtUp()).rejects.toMatchObject({
      code: 'HANDLER_FAILED',
      event: { streamId: 'Order-27' },
    });
    // The events before the refused one were committed one by one after the page failed.
    expect(totals.table(1).has('Order-26')).toBe(true);
    expect(totals.table(1).has('Order-27')).toBe(false);
    await runner.stop();

    totals.failOn(undefined);
    totals.calls.length = 0;
    const rebuilt = await rebuildProjection(store, totals.projection, { batchSize: 10 });
    expect(rebuilt.events).toBe(30);
    expect(totals.calls.map((call) => call.length)).toEqual([10, 10, 10]);
    expect([...totals.table(2).values()].reduce((sum, total) => sum + total, 0)).toBe(435);
  });
});
