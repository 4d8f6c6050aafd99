import { defineAggregate, evolving, isForgotten, personal } from '@hindsight/core';
import { z } from 'zod';

/**
 * `CustomerRegistered` as release 1 stored it: one `name` field. Release 2 splits it into
 * `firstName` and `lastName`; events written by release 1 stay in the log as they are and are
 * read in the new shape by the upcaster below.
 */
// #region customer-registered
const CustomerRegisteredV1 = z.object({ name: z.string().min(1) });

const CustomerRegistered = evolving(CustomerRegisteredV1).to(
  2,
  // Personal data: stored encrypted with the customer's key, erased by `store.forget(customerId)`.
  personal(z.object({ firstName: z.string().min(1), lastName: z.string() }), {
    subject: (_data, { streamId }) => streamId.slice('Customer-'.length),
    fields: ['firstName', 'lastName'],
  }),
  // Pure, and total over every v1 event ever stored: "Ada Lovelace" → Ada / Lovelace, "Cher" → Cher / "".
  ({ name }) => {
    const [firstName = name, ...rest] = name.trim().split(/\s+/);
    return { firstName, lastName: rest.join(' ') };
  },
);
// #endregion customer-registered

/** A customer who places orders; removing one cancels their open orders (see workflows.ts). */
export const Customer = defineAggregate('Customer')
  .events({
    CustomerRegistered,
    CustomerRemoved: z.object({ reason: z.string().min(1) }),
  })
  .initialState(() => ({ status: 'none' as 'none' | 'active' | 'removed', name: '' }))
  .evolve({
    CustomerRegistered: (state, { data }) => ({
      ...state,
      status: 'active',
      // A forgotten customer's name reads as a placeholder: the state says so instead.
      name:
        isForgotten(data.firstName) || isForgotten(data.lastName)
          ? '(forgotten)'
          : `${data.firstName} ${data.lastName}`.trim(),
    }),
    CustomerRemoved: (state) => ({ ...state, status: 'removed' }),
  })
  .commands({
    register: (state, input: { firstName: string; lastName: string }, context) => {
      if (state.status !== 'none') context.reject('CUSTOMER_EXISTS', `Customer ${context.id} already exists`);
      return { type: 'CustomerRegistered', data: input };
    },
    remove: (state, input: { reason: string }, context) => {
      if (state.status !== 'active')
        context.reject('CUSTOMER_NOT_ACTIVE', `Customer ${context.id} is not active`);
      return { type: 'CustomerRemoved', data: input };
    },
  });

/**
 * The customer as release 1 defined it, kept only so the example can write the events an older
 * release left in the log (see `runOrdersStory`): an application does not keep its old definitions.
 */
export const CustomerRelease1 = defineAggregate('Customer')
  .events({
    CustomerRegistered: CustomerRegisteredV1,
    CustomerRemoved: z.object({ reason: z.string().min(1) }),
  })
  .initialState(() => ({}))
  .evolve({ CustomerRegistered: (state) => state, CustomerRemoved: (state) => state })
  .commands({
    register: (_state, input: { name: string }) => ({ type: 'CustomerRegistered', data: input }),
  });
