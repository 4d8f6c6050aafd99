import { defineAggregate } from '@hindsight/core';
import { z } from 'zod';

// #region account
export const Account = defineAggregate('Account')
  .events({
    AccountOpened: z.object({ owner: z.string().min(1) }),
    MoneyDeposited: z.object({ amount: z.number().positive() }),
    MoneyWithdrawn: z.object({ amount: z.number().positive() }),
    AccountClosed: z.object({ reason: z.string().min(1) }),
  })
  .initialState(() => ({ open: false, closed: false, owner: '', balance: 0 }))
  .evolve({
    AccountOpened: (state, { data }) => ({ ...state, open: true, owner: data.owner }),
    MoneyDeposited: (state, { data }) => ({ ...state, balance: state.balance + data.amount }),
    MoneyWithdrawn: (state, { data }) => ({ ...state, balance: state.balance - data.amount }),
    AccountClosed: (state) => ({ ...state, closed: true }),
  })
  .commands({
    open: (state, input: { owner: string }, context) => {
      if (state.open) context.reject('ACCOUNT_EXISTS', `Account ${context.id} is already open`);
      return { type: 'AccountOpened', data: { owner: input.owner } };
    },
    deposit: (state, input: { amount: number }, context) => {
      if (!state.open || state.closed)
        context.reject('ACCOUNT_NOT_OPEN', `Account ${context.id} is not open`);
      return { type: 'MoneyDeposited', data: { amount: input.amount } };
    },
    withdraw: (state, input: { amount: number }, context) => {
      if (!state.open || state.closed)
        context.reject('ACCOUNT_NOT_OPEN', `Account ${context.id} is not open`);
      if (input.amount > state.balance) context.reject('INSUFFICIENT_FUNDS', `Balance is ${state.balance}`);
      return { type: 'MoneyWithdrawn', data: { amount: input.amount } };
    },
    close: (state, input: { reason: string }, context) => {
      if (state.closed) return [];
      if (state.balance !== 0) context.reject('BALANCE_NOT_ZERO', 'Empty the account before closing it');
      return { type: 'AccountClosed', data: { reason: input.reason } };
    },
  });
// #endregion account

// #region transfer
export const Transfer = defineAggregate('Transfer')
  .events({
    TransferRequested: z.object({ from: z.string(), to: z.string(), amount: z.number().positive() }),
    TransferCompleted: z.object({}),
    TransferFailed: z.object({ reason: z.string() }),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'requested' | 'completed' | 'failed' }))
  .evolve({
    TransferRequested: () => ({ status: 'requested' as const }),
    TransferCompleted: () => ({ status: 'completed' as const }),
    TransferFailed: () => ({ status: 'failed' as const }),
  })
  .commands({
    request: (state, input: { from: string; to: string; amount: number }, context) => {
      if (state.status !== 'none') context.reject('TRANSFER_EXISTS', `Transfer ${context.id} exists`);
      return { type: 'TransferRequested', data: input };
    },
    complete: (state, _input: Record<string, never>) =>
      state.status === 'requested' ? { type: 'TransferCompleted', data: {} } : [],
    fail: (state, input: { reason: string }) =>
      state.status === 'requested' ? { type: 'TransferFailed', data: { reason: input.reason } } : [],
  });

/** The transfer id of a `Transfer` stream id (streams are named `Transfer-<id>`). */
export function transferIdOf(streamId: string): string {
  return streamId.slice('Transfer-'.length);
}
// #endregion transfer
