import { listenerSpec, processSpec } from '@hindsight/core/testing';
import { describe, expect, it } from 'vitest';
import {
  CustomerOrders,
  defineShippingNotifications,
  PaymentDeadline,
  paymentWindowMs,
  Shipping,
} from './workflows.js';

const items = [{ productId: 'book', quantity: 1 }];
const now = new Date('2026-03-01T10:00:00.000Z');

describe('the payment deadline', () => {
  // #region process-spec
  it('schedules a cancellation when an order is created, cleared once it is paid', async () => {
    const created = { streamId: 'Order-o1', type: 'OrderCreated', data: { items, total: 12 } } as const;
    await processSpec(PaymentDeadline)
      .given([created], { now })
      .thenScheduled([
        {
          aggregate: 'Order',
          id: 'o1',
          command: 'cancel',
          input: { reason: 'unpaid after 30 minutes' },
          deadline: 'payment',
          dueAt: new Date(now.getTime() + paymentWindowMs),
        },
      ]);
    const paid = await processSpec(PaymentDeadline)
      .given([created, { streamId: 'Order-o1', type: 'OrderPaid', data: { paymentId: 'p1' } }])
      .thenCompleted('Order-o1');
    expect(paid.scheduled).toEqual([]);
  });
  // #endregion process-spec
});

describe('the other workflows', () => {
  it('shipping creates a shipment for a shipped order', async () => {
    await processSpec(Shipping)
      .given([{ streamId: 'Order-o1', type: 'OrderShipped', data: { trackingId: 't1' } }])
      .thenCommands([
        { aggregate: 'Shipment', id: 'o1', command: 'create', input: { orderId: 'o1', trackingId: 't1' } },
      ]);
  });

  it('removing a customer cancels their open orders, and only theirs', async () => {
    const outcome = await processSpec(CustomerOrders)
      .given([
        { streamId: 'Order-o1', type: 'OrderCreated', data: { items, total: 1, customerId: 'c1' } },
        { streamId: 'Order-o2', type: 'OrderCreated', data: { items, total: 2, customerId: 'c2' } },
        { streamId: 'Order-o3', type: 'OrderCreated', data: { items, total: 3, customerId: 'c1' } },
        { streamId: 'Customer-c1', type: 'CustomerRemoved', data: { reason: 'closed account' } },
      ])
      .thenCommands([
        { aggregate: 'Order', id: 'o1', command: 'cancel', input: { reason: 'customer removed' } },
        { aggregate: 'Order', id: 'o3', command: 'cancel', input: { reason: 'customer removed' } },
      ]);
    expect(outcome.completed).toEqual(['c1']);
    expect(outcome.states).toEqual({ c2: { openOrders: ['o2'] } });
  });
});

describe('shipping notifications', () => {
  // #region listener-spec
  it('tell the customer once; a failing mailer is retried, then the event is parked', async () => {
    const sent: string[] = [];
    const shipped = { streamId: 'Order-o1', type: 'OrderShipped', data: { trackingId: 't1' } } as const;
    await listenerSpec(defineShippingNotifications((message) => void sent.push(message)))
      .given([shipped])
      .thenSucceeds();
    expect(sent).toEqual(['your order o1 is on its way (tracking t1)']);

    const down = defineShippingNotifications(() => {
      throw new Error('mailer unreachable');
    });
    await listenerSpec(down, { attempts: 3 })
      .given([shipped])
      .thenDeadLetters([
        { type: 'OrderShipped', streamId: 'Order-o1', attempts: 3, error: 'mailer unreachable' },
      ]);
  });
  // #endregion listener-spec
});
