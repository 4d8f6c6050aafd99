import { PGlite } from '@electric-sql/pglite';
import {
  createEventStore,
  createProcessManager,
  createRepository,
  defineAggregate,
  defineProcess,
} from '@hindsight/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { createTestPool, driversToRun, dropSchema, uniqueSchema } from './test-helpers.js';

const Order = defineAggregate('Order')
  .events({
    OrderCreated: z.object({ total: z.number() }),
    OrderPaid: z.object({}),
    OrderCancelled: z.object({}),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'open' | 'paid' | 'cancelled' }))
  .evolve({
    OrderCreated: () => ({ status: 'open' as const }),
    OrderPaid: () => ({ status: 'paid' as const }),
    OrderCancelled: () => ({ status: 'cancelled' as const }),
  })
  .commands({
    create: (_state, input: { total: number }) => ({ type: 'OrderCreated', data: input }),
    pay: (state, _input: undefined, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN');
      return { type: 'OrderPaid', data: {} };
    },
    cancel: (state, _input: undefined, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN');
      return { type: 'OrderCancelled', data: {} };
    },
  });

const Shipment = defineAggregate('Shipment')
  .events({ ShipmentPrepared: z.object({ orderId: z.string() }) })
  .initialState(() => ({ prepared: false }))
  .evolve({ ShipmentPrepared: () => ({ prepared: true }) })
  .commands({ prepare: (_state, input: { orderId: string }) => ({ type: 'ShipmentPrepared', data: input }) });

const orderId = (event: { streamId: string }) => event.streamId.slice('Order-'.length);

const Fulfilment = defineProcess('fulfilment', {
  from: [Order],
  to: [Shipment, Order],
  initialState: () => ({ status: 'waiting' }),
})
  .on('OrderCreated', {
    key: orderId,
    handle: (state, event, context) => {
      context.execute(Order, orderId(event), 'cancel', undefined, {
        deadline: 'payment',
        afterMs: 30 * 60_000,
      });
      return state;
    },
  })
  .on('OrderPaid', {
    key: orderId,
    handle: (_state, event, context) => {
      context.cancelDeadline('payment');
      context.execute(Shipment, orderId(event), 'prepare', { orderId: orderId(event) });
      return { status: 'paid' };
    },
  })
  .on('OrderCancelled', {
    key: orderId,
    handle: (state, _event, context) => {
      context.complete();
      return state;
    },
  });

/** A migrated storage in a schema of its own, and how to drop it. */
type OpenStorage = () => Promise<{ storage: PostgresStorage<unknown>; drop: () => Promise<void> }>;

const drivers: Record<string, OpenStorage> = {
  PostgreSQL: async () => {
    const pool = createTestPool();
    const schema = uniqueSchema('hs_process');
    const storage = createPostgresStorage({ client: pool, schema });
    await storage.migrate();
    return {
      storage,
      drop: async () => {
        await storage.close();
        await dropSchema(pool, schema);
        await pool.end();
      },
    };
  },
  PGlite: async () => {
    const db = new PGlite();
    const storage = createPostgresStorage({ client: db, schema: uniqueSchema('hs_process') });
    await storage.migrate();
    return {
      storage,
      drop: async () => {
        await storage.close();
        await db.close();
      },
    };
  },
};

/** Core's process manager on this storage: its state, outbox and deadlines are keyed documents. */
describe.each(driversToRun(drivers))('a core process manager on %s', (_name, open) => {
  let storage: PostgresStorage<unknown>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ storage, drop } = await open());
  });
  afterAll(() => drop());

  it('sends commands once, keeps deadlines durably across restarts and fires them when due', async () => {
    let now = new Date('2030-01-01T12:00:00.000Z');
    const clock = () => now;
    const store = createEventStore({ storage, events: [Order, Shipment] });
    const orders = createRepository(store, Order);
    const options = { clock, pollIntervalMs: 60_000 };
    let manager = createProcessManager(store, Fulfilment, options);
    await manager.start();
    await orders.execute('unpaid', 'create', { total: 1 });
    await orders.execute('paid', 'create', { total: 2 });
    await orders.execute('paid', 'pay', undefined);
    await manager.waitUntilCaughtUp();
    expect((await manager.scheduled()).map((command) => [command.instance, command.deadline])).toEqual([
      ['unpaid', 'payment'],
    ]);
    expect(await manager.state('paid')).toEqual({ status: 'paid' });
    const shipments = [];
    for await (const event of store.readStream('Shipment-paid')) shipments.push(event.type);
    expect(shipments).toEqual(['ShipmentPrepared']);

    // Restart: the deadline lives in the documents table, not in a timer.
    await manager.stop();
    manager = createProcessManager(store, Fulfilment, options);
    await manager.start();
    now = new Date('2030-01-01T12:29:59.999Z');
    expect(await manager.dispatchDue()).toBe(0);
    now = new Date('2030-01-01T12:31:00.000Z');
    expect(await manager.dispatchDue()).toBe(1);
    await manager.waitUntilCaughtUp();
    expect((await orders.load('unpaid')).state.status).toBe('cancelled');
    expect(await manager.state('unpaid')).toBeUndefined();
    expect(await manager.scheduled()).toEqual([]);
    await manager.stop();
  });

  it('runs in partitions shared by two instances, routed by instance key: each command sent once', async () => {
    let now = new Date('2030-01-01T12:00:00.000Z');
    const clock = () => now;
    // One instance per total, fed by every order of that total: an instance spans streams.
    const Tally = defineProcess('tally', {
      from: [Order],
      to: [Order],
      initialState: () => ({ orders: [] as string[] }),
    }).on('OrderCreated', {
      key: (event) => `total-${event.data.total}`,
      handle: (state, event, context) => {
        context.execute(Order, orderId(event), 'cancel', undefined, {
          deadline: `cancel-${orderId(event)}`,
          afterMs: 60_000,
        });
        return { orders: [...state.orders, orderId(event)] };
      },
    });
    const instanceOf = (owner: string) =>
      createProcessManager(createEventStore({ storage, events: [Order] }), Tally, {
        clock,
        partitions: 4,
        pollIntervalMs: 20,
        lease: { owner, ttlMs: 60_000 },
      });
    const instances = [instanceOf('one'), instanceOf('two')];
    for (const instance of instances) await instance.start();
    const store = createEventStore({ storage, events: [Order] });
    const orders = createRepository(store, Order);
    const expected: Record<string, string[]> = {};
    for (let i = 0; i < 20; i += 1) {
      // Totals of their own: the schema holds the other tests' orders too.
      await orders.execute(`t${i}`, 'create', { total: 101 + (i % 4) });
      const key = `total-${101 + (i % 4)}`;
      expected[key] = [...(expected[key] ?? []), `t${i}`];
    }
    await Promise.all(instances.map((instance) => instance.waitUntilCaughtUp()));
    const [one] = instances as [(typeof instances)[number]];
    const owners = new Set(((await one.status()).partitions ?? []).map((partition) => partition.owner));
    expect(owners).toEqual(new Set(['one', 'two']));
    for (const [key, ids] of Object.entries(expected)) expect(await one.state(key)).toEqual({ orders: ids });

    now = new Date('2030-01-01T12:02:00.000Z');
    for (let wait = 0; (await one.scheduled()).length > 0 && wait < 250; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await one.scheduled()).toEqual([]);
    for (let i = 0; i < 20; i += 1) {
      const types: string[] = [];
      for await (const event of store.readStream(`Order-t${i}`)) types.push(event.type);
      expect(types).toEqual(['OrderCreated', 'OrderCancelled']);
    }
    for (const instance of instances) await instance.stop();
  });

  it('hands a refused command back to the rejection step, which compensates once', async () => {
    const Linked = defineProcess('linked', { from: [Order], to: [Order], initialState: () => ({}) })
      .on('OrderCreated', {
        key: orderId,
        handle: (state, event, context) => {
          if (!orderId(event).endsWith('-linked'))
            context.execute(Order, `${orderId(event)}-linked`, 'pay', undefined);
          return state;
        },
      })
      .onRejected((state, rejection, context) => {
        if (rejection.reason === 'NOT_OPEN') context.execute(Order, context.key, 'cancel', undefined);
        context.complete();
        return state;
      });
    const store = createEventStore({ storage, events: [Order, Shipment] });
    const orders = createRepository(store, Order);
    const manager = createProcessManager(store, Linked, { pollIntervalMs: 60_000 });
    await manager.start();
    await orders.execute('saga', 'create', { total: 3 });
    await manager.waitUntilCaughtUp();
    await manager.dispatchDue();
    const history = [];
    for await (const event of store.readStream('Order-saga')) history.push(event.type);
    expect(history).toEqual(['OrderCreated', 'OrderCancelled']);
    expect(await manager.state('saga')).toBeUndefined();
    expect(await manager.scheduled()).toEqual([]);
    await manager.stop();
  });
});
