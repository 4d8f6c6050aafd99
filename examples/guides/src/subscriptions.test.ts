import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restartsTour, subscriptionsTour } from './subscriptions.js';

describe('guide: subscriptions', () => {
  const folder = mkdtempSync(join(tmpdir(), 'hindsight-guide-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('writes large movements once, in the checkpoint transaction', async () => {
    const path = join(folder, 'subscriptions.db');
    const lines: string[] = [];
    await subscriptionsTour(path, (line) => lines.push(line));
    expect(lines).toEqual([
      'running at 4/4, 0 behind, waiting for new-events',
      '[{"account":"Account-ada","amount":5000},{"account":"Account-ada","amount":2500}]',
      'deposited in all: 5000',
    ]);
  });

  it('starts after a position, starts over once its checkpoint is deleted, and restarts after a failure', async () => {
    const lines: string[] = [];
    await restartsTour(join(folder, 'restarts.db'), (line) => lines.push(line));
    expect(lines).toEqual([
      'exported 3',
      'exported 3, 3',
      'ledger gave up at AccountOpened #1 after 3 attempts',
      'subscription:ledger failed at #1: ledger unreachable',
      'ledger: AccountOpened #1',
      'ledger: MoneyDeposited #2',
      'ledger: MoneyDeposited #3',
      'failures recorded: 0',
    ]);
  });
});
