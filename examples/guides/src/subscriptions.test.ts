import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { subscriptionsTour } from './subscriptions.js';

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
});
