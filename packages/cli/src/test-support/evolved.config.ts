import { defineAggregate, evolving, personal } from '@hindsight/core';
import { z } from 'zod';
import { Account as AccountV1 } from './account.js';

/**
 * The test account of a later release: deposits in cents (version 2 of `Deposited`), read from
 * the version-1 events {@link seed} writes.
 */
const Account = defineAggregate('Account')
  .events({
    AccountOpened: AccountV1.schemas.AccountOpened,
    Deposited: evolving(AccountV1.schemas.Deposited).to(2, z.object({ cents: z.number().int() }), (v1) => ({
      cents: Math.round(v1.amount * 100),
    })),
    AccountClosed: AccountV1.schemas.AccountClosed,
  })
  .initialState(() => ({ cents: 0 }))
  .evolve({
    AccountOpened: (state) => state,
    Deposited: (state, { data }) => ({ cents: state.cents + data.cents }),
    AccountClosed: (state) => state,
  })
  .commands({});

/** Members whose email is personal data: the CLI's readers decrypt it given this definition. */
export const Member = defineAggregate('Member')
  .events({
    MemberJoined: personal(z.object({ memberId: z.string(), email: z.string() }), {
      subject: (data) => data.memberId,
      fields: ['email'],
    }),
  })
  .initialState(() => ({}))
  .evolve({ MemberJoined: (state) => state })
  .commands({});

export const aggregates = [Account, Member];
