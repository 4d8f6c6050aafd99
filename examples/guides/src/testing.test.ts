// #region imports
import {
  createEventStore,
  createInMemoryStorage,
  createProjectionRunner,
  createRepository,
} from '@hindsight/core';
import { aggregateSpec, storageConformanceCases } from '@hindsight/core/testing';
import { describe, expect, it } from 'vitest';
// #endregion imports
import { Account } from './bank.js';
import { createBalancesView } from './projections.js';

// #region aggregate-spec
describe('Account', () => {
  it('withdraws what the balance covers', async () => {
    const state = await aggregateSpec(Account)
      .given([
        { type: 'AccountOpened', data: { owner: 'Ada' } },
        { type: 'MoneyDeposited', data: { amount: 100 } },
      ])
      .when('withdraw', { amount: 30 })
      .thenEvents([{ type: 'MoneyWithdrawn', data: { amount: 30 } }]);
    expect(state.balance).toBe(70);
  });

  it('refuses to overdraw', async () => {
    await aggregateSpec(Account)
      .given([{ type: 'AccountOpened', data: { owner: 'Ada' } }])
      .when('withdraw', { amount: 1 })
      .thenFails({ reason: 'INSUFFICIENT_FUNDS' });
  });

  it('refuses an invalid amount before any rule runs', async () => {
    await aggregateSpec(Account)
      .given([{ type: 'AccountOpened', data: { owner: 'Ada' } }])
      .when('deposit', { amount: -5 })
      .thenFails({ code: 'VALIDATION_FAILED' });
  });
});
// #endregion aggregate-spec

// #region projection-test
describe('balances projection', () => {
  it('follows deposits and withdrawals', async () => {
    const { Balances, balanceOf } = createBalancesView();
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Account] });
    const accounts = createRepository(store, Account);
    const runner = createProjectionRunner(store, Balances);
    await runner.start();
    try {
      await accounts.execute('acc-1', (account) =>
        account.open({ owner: 'Ada' }).deposit({ amount: 10 }).withdraw({ amount: 4 }),
      );
      await runner.waitUntilCaughtUp();
      expect(balanceOf(await runner.activeVersion(), 'Account-acc-1')).toBe(6);
    } finally {
      await runner.stop();
      await store.close();
    }
  });
});
// #endregion projection-test

// #region conformance
describe('my storage adapter', () => {
  for (const { name, run } of storageConformanceCases({ create: async () => createInMemoryStorage() })) {
    it(name, run);
  }
});
// #endregion conformance
