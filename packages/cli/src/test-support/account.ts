import { defineAggregate } from '@hindsight/core';
import { z } from 'zod';

/** A small aggregate for the CLI's tests: an account that opens, takes deposits and closes. */
export const Account = defineAggregate('Account')
  .events({
    AccountOpened: z.object({ owner: z.string().min(1) }),
    Deposited: z.object({ amount: z.number().positive() }),
    AccountClosed: z.object({ reason: z.string().min(1) }),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'open' | 'closed', owner: '', balance: 0 }))
  .evolve({
    AccountOpened: (state, { data }) => ({ ...state, status: 'open', owner: data.owner }),
    Deposited: (state, { data }) => ({ ...state, balance: state.balance + data.amount }),
    AccountClosed: (state) => ({ ...state, status: 'closed' }),
  })
  .commands({
    open: (state, input: { owner: string }, context) => {
      if (state.status !== 'none') context.reject('ACCOUNT_EXISTS');
      return { type: 'AccountOpened', data: input };
    },
    deposit: (state, input: { amount: number }, context) => {
      if (state.status !== 'open') context.reject('ACCOUNT_NOT_OPEN');
      return { type: 'Deposited', data: input };
    },
    close: (_state, input: { reason: string }) => ({ type: 'AccountClosed', data: input }),
  });
