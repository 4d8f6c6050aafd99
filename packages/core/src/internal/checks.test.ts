import { describe, expect, it } from 'vitest';
import { findNonJson, type JsonLengthBound } from './checks.js';

describe('findNonJson: the JSON length bound', () => {
  const values: [label: string, value: unknown][] = [
    // Each alone, so that the bound of one number (25) is what is tested.
    ['a 24-character exponent', -1.2345678901234567e-308],
    ['a 25-character fraction', -0.0000012345678901234567],
    ['the largest number', -1.7976931348623157e308],
    ['a 22-digit integer', -9.999999999999999e20],
    ['small numbers', [0, -0, 1, 0.5, 42]],
    ['escaped text', ['"\\\n\t\u0001\u001f\u007f', 'é😀', '']],
    ['literals', [true, false, null]],
    ['empty containers', [{}, [], [[]], { a: {} }]],
    ['keys that escape', { '"quoted"': 1, 'new\nline': 'x', ünï: [1] }],
    ['undefined fields', { kept: 1, dropped: undefined }],
    ['a nested payload', { items: [{ productId: 'p1', quantity: 2, tags: ['a', 'b'] }], total: 10.25 }],
  ];

  for (const [label, value] of values) {
    it(`is at least the length of JSON.stringify for ${label}`, () => {
      const length: JsonLengthBound = { atMost: 0 };
      expect(findNonJson(value, new Set(), length)).toBeUndefined();
      expect(length.atMost).toBeGreaterThanOrEqual(JSON.stringify(value).length);
    });
  }

  it('adds to the bound it is given, and is not needed to find problems', () => {
    const length: JsonLengthBound = { atMost: 10 };
    expect(findNonJson('ab', new Set(), length)).toBeUndefined();
    expect(length.atMost).toBe(10 + 2 + 6 * 2);
    expect(findNonJson({ when: new Date(0) }, new Set())).toEqual({
      path: ['when'],
      reason: 'a Date (use an ISO string) is not plain JSON',
    });
  });
});
