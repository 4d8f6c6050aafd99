import { createEventStore, createInMemoryStorage, createRepository } from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { aggregatesTour, SnapshottedAccount } from './aggregates.js';

describe('guide: aggregates and commands', () => {
  it('runs as shown', async () => {
    const lines: string[] = [];
    await aggregatesTour((line) => lines.push(line));
    expect(lines).toEqual([
      'withdraw refused: INSUFFICIENT_FUNDS',
      'expected v2, found v3',
      'MoneyDeposited by user-42 via mobile',
      'v2: 50, on 1 January: 75, now: 0',
      'LoginSucceeded u1',
      'retry stored nothing: true, stream at v2',
    ]);
  });

  it('snapshots every 100 events and loads the same state from the snapshot', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [SnapshottedAccount] });
    const accounts = createRepository(store, SnapshottedAccount);
    await accounts.execute('acc-1', 'open', { owner: 'Ada' });
    for (let i = 0; i < 110; i += 1) await accounts.execute('acc-1', 'deposit', { amount: 1 });
    expect((await storage.loadSnapshot('Account-acc-1'))?.version).toBe(100);
    expect((await accounts.load('acc-1')).state.balance).toBe(110);
  });
});
