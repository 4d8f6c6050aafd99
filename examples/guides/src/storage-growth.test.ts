import { createEventStore, createInMemoryStorage, createRepository } from '@hindsight/core';
import { describe, expect, it } from 'vitest';
import { Account } from './bank.js';
import { storageGrowthInBrief, storageGrowthTour } from './storage-growth.js';

describe('guide: storage growth', () => {
  it('closes, archives and deletes streams, and consumers see the tombstone', async () => {
    const lines: string[] = [];
    await storageGrowthTour((line) => lines.push(line));
    expect(lines).toEqual([
      'refused: Account-a-1 is closed',
      'archived 3 events',
      'a-1 still loads at version 3, balance 6',
      'a-2 is deleted at version 2',
      'owners row of a-2: removed',
      'tombstone for Account-a-2: versions 1–1 are gone',
    ]);
  });

  it('runs the README summary', async () => {
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Account] });
    const accounts = createRepository(store, Account);
    await accounts.execute('a-1', (account) => account.open({ owner: 'Ada' }));
    await accounts.execute('a-2', (account) => account.open({ owner: 'Bob' }));
    expect(await storageGrowthInBrief(store)).toBe('deleted');
  });
});
