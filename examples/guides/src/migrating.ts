import { defineAggregate } from '@hindsight/core';
import { z } from 'zod';

// #region decider-functions
// Decider-style functions, as an Emmett codebase has them: one `evolve` and one `decide` over unions.
type CartEvent =
  | { type: 'ItemAdded'; data: { sku: string; quantity: number } }
  | { type: 'CartConfirmed'; data: { confirmedAt: string } };
type CartCommand = { type: 'AddItem'; sku: string; quantity: number } | { type: 'Confirm'; now: string };
interface Cart {
  readonly status: 'open' | 'confirmed';
  readonly items: Readonly<Record<string, number>>;
}

const initialCart = (): Cart => ({ status: 'open', items: {} });

function evolveCart(state: Cart, event: CartEvent): Cart {
  switch (event.type) {
    case 'ItemAdded': {
      const quantity = (state.items[event.data.sku] ?? 0) + event.data.quantity;
      return { ...state, items: { ...state.items, [event.data.sku]: quantity } };
    }
    case 'CartConfirmed':
      return { ...state, status: 'confirmed' };
  }
}

function decideCart(command: CartCommand, state: Cart): CartEvent[] {
  if (state.status === 'confirmed') throw new Error('CART_CONFIRMED');
  switch (command.type) {
    case 'AddItem':
      return [{ type: 'ItemAdded', data: { sku: command.sku, quantity: command.quantity } }];
    case 'Confirm':
      if (Object.keys(state.items).length === 0) throw new Error('CART_EMPTY');
      return [{ type: 'CartConfirmed', data: { confirmedAt: command.now } }];
  }
}
// #endregion decider-functions

// #region decider-aggregate
// The same functions as a Hindsight aggregate: schemas added, names per event type and command.
const refuse = (context: { reject(reason: string): never }, error: unknown): never =>
  context.reject(error instanceof Error ? error.message : String(error));

export const ShoppingCart = defineAggregate('ShoppingCart')
  .events({
    ItemAdded: z.object({ sku: z.string(), quantity: z.number().int().positive() }),
    CartConfirmed: z.object({ confirmedAt: z.iso.datetime() }),
  })
  .initialState(initialCart)
  .evolve({ ItemAdded: evolveCart, CartConfirmed: evolveCart })
  .commands({
    addItem: (state, input: { sku: string; quantity: number }, context) => {
      try {
        return decideCart({ type: 'AddItem', ...input }, state);
      } catch (error) {
        return refuse(context, error);
      }
    },
    confirm: (state, input: { now: string }, context) => {
      try {
        return decideCart({ type: 'Confirm', now: input.now }, state);
      } catch (error) {
        return refuse(context, error);
      }
    },
  });
// #endregion decider-aggregate
