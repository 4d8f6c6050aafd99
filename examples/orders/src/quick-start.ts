import { createEventStore, createInMemoryStorage, createRepository } from '@hindsight/core';
import { Order } from './order.js';

/** The README's quick start, kept here so it compiles and runs in the tests. */
export async function quickStart(print: (line: string) => void): Promise<void> {
  // #region usage
  const store = createEventStore({ storage: createInMemoryStorage(), events: [Order] });
  const orders = createRepository(store, Order);

  await orders.execute('o-1', 'create', { items: [{ productId: 'p-1', quantity: 2 }], total: 99.99 });
  await orders.execute('o-1', (order) => order.pay({ paymentId: 'pay-1' }).ship({ trackingId: 't-1' }));

  const then = await orders.load('o-1', { atVersion: 1 }); // time travel
  print(`at v1 the order was ${then.state.status}`);
  for await (const { event, state } of orders.history('o-1')) {
    print(`v${event.version} ${event.type} -> ${state.status}`);
  }
  // #endregion usage
  await store.close();
}
