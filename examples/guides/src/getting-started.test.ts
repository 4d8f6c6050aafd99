import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gettingStarted } from './getting-started.js';

describe('guide: getting started', () => {
  const folder = mkdtempSync(join(tmpdir(), 'hindsight-guide-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('runs as shown, and the events stay in the file', async () => {
    const lines: string[] = [];
    await gettingStarted(join(folder, 'bank.db'), (line) => lines.push(line));
    expect(lines).toEqual([
      'Ada has 70 at version 3',
      'v1 AccountOpened: balance 0',
      'v2 MoneyDeposited: balance 100',
      'v3 MoneyWithdrawn: balance 70',
      'at version 2 the balance was 100',
    ]);
  });
});
