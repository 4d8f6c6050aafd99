import { describe, expect, it } from 'vitest';
import { quickStart } from './quick-start.js';

// The README's snippets are checked with the guides' (docs/test/reference.test.ts); this runs one.
describe('README quick start', () => {
  it('runs the quick start as shown', async () => {
    const lines: string[] = [];
    await quickStart((line) => lines.push(line));
    expect(lines).toEqual([
      'at v1 the order was pending',
      'v1 OrderCreated -> pending',
      'v2 OrderPaid -> paid',
      'v3 OrderShipped -> shipped',
    ]);
  });
});
