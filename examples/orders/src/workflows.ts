import { defineListener, defineProcess } from '@hindsight/core';
import { Customer } from './customer.js';
import { Order } from './order.js';
import { Shipment } from './shipment.js';

/** How long an order may stay unpaid before the payment deadline cancels it. */
export const paymentWindowMs = 30 * 60_000;

const orderIdOf = (streamId: string): string => streamId.slice(`${Order.name}-`.length);
const customerIdOf = (streamId: string): string => streamId.slice(`${Customer.name}-`.length);

/** When an order ships, a shipment is created for it. */
export const Shipping = defineProcess('shipping', {
  from: [Order],
  to: [Shipment],
  initialState: () => ({}),
}).on('OrderShipped', {
  key: (event) => event.streamId,
  handle: (state, event, context) => {
    const orderId = orderIdOf(event.streamId);
    context.execute(Shipment, orderId, 'create', { orderId, trackingId: event.data.trackingId });
    context.complete();
    return state;
  },
});

/** An order left unpaid for 30 minutes is cancelled; paying (or cancelling) in time clears the deadline. */
// #region payment-deadline
export const PaymentDeadline = defineProcess('paymentDeadline', {
  from: [Order],
  to: [Order],
  initialState: () => ({}),
})
  .on('OrderCreated', {
    key: (event) => event.streamId,
    handle: (state, event, context) => {
      const reason = `unpaid after ${paymentWindowMs / 60_000} minutes`;
      context.execute(
        Order,
        orderIdOf(event.streamId),
        'cancel',
        { reason },
        {
          deadline: 'payment',
          afterMs: paymentWindowMs,
        },
      );
      return state;
    },
  })
  .on('OrderPaid', {
    key: (event) => event.streamId,
    handle: (state, _event, context) => {
      context.complete();
      return state;
    },
  })
  .on('OrderCancelled', {
    key: (event) => event.streamId,
    handle: (state, _event, context) => {
      context.complete();
      return state;
    },
  });
// #endregion payment-deadline

/** Keeps each customer's open orders; removing the customer cancels them. */
export const CustomerOrders = defineProcess('customerOrders', {
  from: [Customer, Order],
  to: [Order],
  initialState: () => ({ openOrders: [] as string[] }),
})
  .on('OrderCreated', {
    key: (event) => event.data.customerId ?? '(no customer)',
    handle: (state, event, context) => {
      if (event.data.customerId === undefined) {
        context.complete();
        return state;
      }
      return { openOrders: [...state.openOrders, orderIdOf(event.streamId)] };
    },
  })
  .on('CustomerRemoved', {
    key: (event) => customerIdOf(event.streamId),
    handle: (state, _event, context) => {
      for (const orderId of state.openOrders) {
        context.execute(Order, orderId, 'cancel', { reason: 'customer removed' });
      }
      context.complete();
      return state;
    },
  });

/** Tells a customer their order shipped: a side effect after commit, retried, dead-lettered if it keeps failing. */
export function defineShippingNotifications(send: (message: string) => void | Promise<void>) {
  return defineListener('shippingNotifications', { from: [Order] }).on('OrderShipped', (event) =>
    send(`your order ${orderIdOf(event.streamId)} is on its way (tracking ${event.data.trackingId})`),
  );
}
