import { projectionSpec } from '@hindsight/core/testing';
import { describe, it } from 'vitest';
import { defineOrdersView } from './orders-view.js';

const book = { productId: 'book', quantity: 1 };
const items = [book];
const at = new Date('2026-03-01T10:00:00.000Z');

describe('the orders view', () => {
  // #region projection-spec
  it('keeps one row per order, updated as the order moves on', async () => {
    await projectionSpec(defineOrdersView, { clock: () => at })
      .given([
        { streamId: 'Order-o1', type: 'OrderCreated', data: { items, total: 12, customerId: 'c1' } },
        { streamId: 'Order-o1', type: 'OrderItemAdded', data: { item: book, price: 0.1 } },
        { streamId: 'Order-o1', type: 'OrderPaid', data: { paymentId: 'p1' } },
        { streamId: 'Order-o2', type: 'OrderCreated', data: { items, total: 7 } },
        { streamId: 'Order-o2', type: 'OrderCancelled', data: { reason: 'unpaid' } },
      ])
      .thenDocuments('orders-view-v1', {
        'Order-o1': {
          streamId: 'Order-o1',
          status: 'paid',
          total: 12.1,
          customerId: 'c1',
          createdAt: at.toISOString(),
          paidAt: at.toISOString(),
          shippedAt: null,
        },
        'Order-o2': {
          streamId: 'Order-o2',
          status: 'cancelled',
          total: 7,
          customerId: null,
          createdAt: at.toISOString(),
          paidAt: null,
          shippedAt: null,
        },
      });
  });
  // #endregion projection-spec

  it('ignores events of an order it has no row for', async () => {
    await projectionSpec(defineOrdersView)
      .given([{ streamId: 'Order-o3', type: 'OrderPaid', data: { paymentId: 'p3' } }])
      .thenDocuments('orders-view-v1', {});
  });
});
