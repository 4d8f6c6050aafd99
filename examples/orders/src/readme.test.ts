import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { quickStart } from './quick-start.js';

const root = new URL('../../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The lines between `// #region name` and `// #endregion name`, dedented. */
function region(path: string, name: string): string {
  const source = readFileSync(new URL(path, root), 'utf8');
  const match = source.match(new RegExp(`// #region ${name}\\n([\\s\\S]*?)\\n\\s*// #endregion ${name}`));
  if (match?.[1] === undefined) throw new Error(`no region ${name} in ${path}`);
  const lines = match[1].split('\n');
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.search(/\S/)));
  return lines.map((line) => line.slice(indent)).join('\n');
}

describe('README snippets', () => {
  it.each([
    ['examples/orders/src/order.ts', 'order'],
    ['examples/orders/src/quick-start.ts', 'usage'],
    ['examples/orders/src/orders-view.ts', 'projection'],
    ['examples/orders/src/workflows.ts', 'payment-deadline'],
    ['examples/orders/src/orders-app.ts', 'wiring'],
    ['examples/orders/src/customer.ts', 'customer-registered'],
  ])('shows %s#%s verbatim', (path, name) => {
    expect(readme).toContain(region(path, name));
  });

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
