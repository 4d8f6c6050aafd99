import { aggregateSpec } from '@hindsight/core/testing';
import { describe, expect, it } from 'vitest';
import { ShoppingCart } from './migrating.js';

describe('guide: migrating a decider', () => {
  it('runs the reused evolve and decide functions as an aggregate', async () => {
    const state = await aggregateSpec(ShoppingCart)
      .given([{ type: 'ItemAdded', data: { sku: 'tea', quantity: 1 } }])
      .when('addItem', { sku: 'tea', quantity: 2 })
      .thenEvents([{ type: 'ItemAdded', data: { sku: 'tea', quantity: 2 } }]);
    expect(state.items).toEqual({ tea: 3 });
  });

  it("turns the decider's errors into rejections with a reason", async () => {
    await aggregateSpec(ShoppingCart).given([]).when('confirm', { now: '2026-01-01T00:00:00Z' }).thenFails({
      reason: 'CART_EMPTY',
    });
    await aggregateSpec(ShoppingCart)
      .given([{ type: 'CartConfirmed', data: { confirmedAt: '2026-01-01T00:00:00Z' } }])
      .when('addItem', { sku: 'tea', quantity: 1 })
      .thenFails({ reason: 'CART_CONFIRMED' });
  });
});
