import { defineAggregate } from '@hindsight/core';
import { z } from 'zod';

const OrderItem = z.object({
  productId: z.string().min(1),
  quantity: z.number().int().positive(),
});

/** One line of an order. */
export type OrderItem = z.infer<typeof OrderItem>;

/** Where an order is in its life. `none`: no order was created on this id. */
export type OrderStatus = 'none' | 'pending' | 'paid' | 'shipped' | 'cancelled';

/** The tutorial's Order: created with items and a total, paid once, shipped only when paid. */
// #region order
export const Order = defineAggregate('Order')
  .events({
    OrderCreated: z.object({
      items: z.array(OrderItem).min(1),
      total: z.number().nonnegative(),
      customerId: z.string().min(1).optional(),
    }),
    OrderItemAdded: z.object({ item: OrderItem, price: z.number().nonnegative() }),
    OrderPaid: z.object({ paymentId: z.string().min(1) }),
    OrderShipped: z.object({ trackingId: z.string().min(1) }),
    OrderCancelled: z.object({ reason: z.string().min(1) }),
  })
  .initialState(() => ({
    status: 'none' as OrderStatus,
    items: [] as OrderItem[],
    total: 0,
    paymentId: undefined as string | undefined,
    trackingId: undefined as string | undefined,
  }))
  .evolve({
    OrderCreated: (state, { data }) => ({
      ...state,
      status: 'pending',
      items: data.items,
      total: data.total,
    }),
    OrderItemAdded: (state, { data }) => ({
      ...state,
      items: [...state.items, data.item],
      total: Math.round((state.total + data.price) * 100) / 100,
    }),
    OrderPaid: (state, { data }) => ({ ...state, status: 'paid', paymentId: data.paymentId }),
    OrderShipped: (state, { data }) => ({ ...state, status: 'shipped', trackingId: data.trackingId }),
    OrderCancelled: (state) => ({ ...state, status: 'cancelled' }),
  })
  .commands({
    create: (state, input: { items: OrderItem[]; total: number; customerId?: string }, context) => {
      if (state.status !== 'none') context.reject('ORDER_EXISTS', `Order ${context.id} already exists`);
      return { type: 'OrderCreated', data: input };
    },
    addItem: (state, input: { item: OrderItem; price: number }, context) => {
      if (state.status !== 'pending')
        context.reject('ORDER_NOT_PENDING', 'Only a pending order takes new items');
      return { type: 'OrderItemAdded', data: input };
    },
    pay: (state, input: { paymentId: string }, context) => {
      if (state.status === 'none') context.reject('ORDER_NOT_FOUND', `No order ${context.id}`);
      if (state.status === 'cancelled') context.reject('ORDER_CANCELLED', 'Order was cancelled');
      if (state.status !== 'pending') context.reject('ORDER_ALREADY_PAID', 'Order already paid');
      return { type: 'OrderPaid', data: { paymentId: input.paymentId } };
    },
    ship: (state, input: { trackingId: string }, context) => {
      if (state.status === 'shipped') context.reject('ORDER_ALREADY_SHIPPED', 'Order already shipped');
      if (state.status !== 'paid') context.reject('ORDER_NOT_PAID', 'Order not paid');
      return { type: 'OrderShipped', data: { trackingId: input.trackingId } };
    },
    cancel: (state, input: { reason: string }, context) => {
      if (state.status === 'cancelled') return [];
      if (state.status === 'none') context.reject('ORDER_NOT_FOUND', `No order ${context.id}`);
      if (state.status === 'shipped')
        context.reject('ORDER_ALREADY_SHIPPED', 'A shipped order cannot be cancelled');
      return { type: 'OrderCancelled', data: { reason: input.reason } };
    },
  })
  .withSnapshots({ every: 10 });
// #endregion order
