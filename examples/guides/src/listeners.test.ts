import { describe, expect, it } from 'vitest';
import { listenersTour } from './listeners.js';

describe('guide: listeners and dead letters', () => {
  it('parks a failing event as a dead letter, moves on, and delivers it on retry', async () => {
    const lines: string[] = [];
    await listenersTour((line) => lines.push(line));
    expect(lines).toEqual([
      'AccountOpened at 1 failed 3 times: mail service unavailable',
      'sent: Bo: Welcome to the bank!',
      'retried: 1 succeeded, 0 failed',
      'sent: Bo: Welcome to the bank!; Ada: Welcome to the bank!',
      'audit: Cy opened an account',
    ]);
  });
});
