import {
  createEventStore,
  createProcessManager,
  createRepository,
  defineAggregate,
  defineProcess,
} from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSqliteStorage } from './sqlite-storage.js';

const Order = defineAggregate('Order')
  .events({ OrderCreated: z.object({}), OrderPaid: z.object({}), OrderCancelled: z.object({}) })
  .initialState(() => ({ status: 'none' as 'none' | 'open' | 'paid' | 'cancelled' }))
  .evolve({
    OrderCreated: () => ({ status: 'open' as const }),
    OrderPaid: () => ({ status: 'paid' as const }),
    OrderCancelled: () => ({ status: 'cancelled' as const }),
  })
  .commands({
    create: () => ({ type: 'OrderCreated', data: {} }),
    pay: (state, _input: undefined, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN');
      return { type: 'OrderPaid', data: {} };
    },
    cancel: (state, _input: undefined, context) => {
      if (state.status !== 'open') context.reject('NOT_OPEN');
      return { type: 'OrderCancelled', data: {} };
    },
  });

const orderId = (event: { streamId: string }) => event.streamId.slice('Order-'.length);

describe('a core process manager on SQLite', () => {
  it('hands a refused command back to the rejection step, which compensates once', async () => {
    // Pays a linked order when an order is created; the linked one does not exist, so the
    // payment is refused and the saga cancels the original order.
    const Linked = defineProcess('linked', { from: [Order], to: [Order], initialState: () => ({}) })
      .on('OrderCreated', {
        key: orderId,
        handle: (state, event, context) => {
          context.execute(Order, `${orderId(event)}-linked`, 'pay', undefined);
          return state;
        },
      })
      .onRejected((state, rejection, context) => {
        if (rejection.reason === 'NOT_OPEN') context.execute(Order, context.key, 'cancel', undefined);
        context.complete();
        return state;
      });
    const store = createEventStore({ storage: createSqliteStorage({ path: ':memory:' }), events: [Order] });
    try {
      const manager = createProcessManager(store, Linked, { pollIntervalMs: 60_000 });
      await manager.start();
      await createRepository(store, Order).execute('saga', 'create', undefined);
      await manager.waitUntilCaughtUp();
      await manager.dispatchDue();
      const history = [];
      for await (const event of store.readStream('Order-saga')) history.push(event.type);
      expect(history).toEqual(['OrderCreated', 'OrderCancelled']);
      expect(await manager.state('saga')).toBeUndefined();
      expect(await manager.scheduled()).toEqual([]);
      await manager.stop();
    } finally {
      await store.close();
    }
  });
});
