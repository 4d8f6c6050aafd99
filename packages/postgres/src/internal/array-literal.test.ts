import { describe, expect, it } from 'vitest';
import { toArrayLiteral } from './array-literal.js';

describe('toArrayLiteral', () => {
  it('quotes every element and escapes backslashes before quotes', () => {
    expect(toArrayLiteral([])).toBe('{}');
    expect(toArrayLiteral(['a'])).toBe('{"a"}');
    expect(toArrayLiteral(['a', '', 'NULL', 'b,c'])).toBe('{"a","","NULL","b,c"}');
    expect(toArrayLiteral(['{"k":"v"}', 'x\\"y', '\\'])).toBe('{"{\\"k\\":\\"v\\"}","x\\\\\\"y","\\\\"}');
  });
});
