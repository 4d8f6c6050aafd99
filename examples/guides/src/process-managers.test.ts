import { describe, expect, it } from 'vitest';
import { compensationTour, processManagersTour } from './process-managers.js';

describe('guide: process managers', () => {
  it('completes a transfer, times one out, and correlates what a transfer caused', async () => {
    const lines: string[] = [];
    await processManagersTour((line) => lines.push(line));
    expect(lines.slice(0, 4)).toEqual([
      't-1 completed, bo has 60',
      'Account.withdraw refused: INSUFFICIENT_FUNDS',
      'pending: timeout at 2026-03-01T12:05:00.000Z',
      't-2 failed, commands pending: 0',
    ]);
    const correlated = lines.slice(4);
    expect(correlated).toHaveLength(4);
    expect(correlated[0]).toBe('MoneyDeposited on Account-ada: correlation none');
    const ids = correlated.slice(1).map((line) => line.split('correlation ')[1]);
    expect(new Set(ids).size).toBe(1);
    expect(correlated.slice(1).map((line) => line.split(':')[0])).toEqual([
      'MoneyWithdrawn on Account-ada',
      'MoneyDeposited on Account-bo',
      'TransferCompleted on Transfer-t-1',
    ]);
  });

  it('undoes the withdrawal when the deposit is refused, and fails the transfer', async () => {
    const lines: string[] = [];
    await compensationTour((line) => lines.push(line));
    expect(lines).toEqual([
      't-3 failed, ada has 100',
      'MoneyDeposited on Account-ada',
      'MoneyWithdrawn on Account-ada',
      'MoneyDeposited on Account-ada',
      'TransferFailed on Transfer-t-3',
      'commands pending: 0',
    ]);
  });
});
