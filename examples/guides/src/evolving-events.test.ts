import { describe, expect, it } from 'vitest';
import { evolvingEventsTour } from './evolving-events.js';

describe('guide: evolving events', () => {
  it('reads release 1 events in the current shape, and names a stored event that does not fit', async () => {
    const lines: string[] = [];
    await evolvingEventsTour((line) => lines.push(line));
    expect(lines).toEqual([
      '#1 AccountOpened {"owner":"Ada"} (v2)',
      '#2 MoneyDeposited {"amountCents":1250,"currency":"EUR"} (v2)',
      '#3 AccountOpened {"owner":"Bob"} (v2)',
      '#3 MoneyDeposited {"amountCents":300,"currency":"EUR"} (v2)',
      'a-1: {"owner":"Ada","balanceCents":1250}',
      'appended at schema version 2',
      'STORED_EVENT_INVALID: Account-a-3 v1 FundsAdded field "amountCents"',
      'AccountOpened v1: 1 read, 0 failed',
      'FundsAdded v1: 2 read, 1 failed',
      'OpenedWithDeposit v1: 1 read, 0 failed',
      'MoneyDeposited v2: 1 read, 0 failed',
      'does not fit: Account-a-3 v1 (amountCents): Invalid input: expected number, received NaN',
      'unvalidated: amountCents NaN',
    ]);
  });
});
