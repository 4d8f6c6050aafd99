import { defineAggregate } from '@hindsight/core';
import { z } from 'zod';

/** A customer who places orders; removing one cancels their open orders (see workflows.ts). */
export const Customer = defineAggregate('Customer')
  .events({
    CustomerRegistered: z.object({ name: z.string().min(1) }),
    CustomerRemoved: z.object({ reason: z.string().min(1) }),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'active' | 'removed', name: '' }))
  .evolve({
    CustomerRegistered: (state, { data }) => ({ ...state, status: 'active', name: data.name }),
    CustomerRemoved: (state) => ({ ...state, status: 'removed' }),
  })
  .commands({
    register: (state, input: { name: string }, context) => {
      if (state.status !== 'none') context.reject('CUSTOMER_EXISTS', `Customer ${context.id} already exists`);
      return { type: 'CustomerRegistered', data: input };
    },
    remove: (state, input: { reason: string }, context) => {
      if (state.status !== 'active')
        context.reject('CUSTOMER_NOT_ACTIVE', `Customer ${context.id} is not active`);
      return { type: 'CustomerRemoved', data: input };
    },
  });
