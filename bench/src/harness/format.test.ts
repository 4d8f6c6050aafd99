import { describe, expect, it } from 'vitest';
import { formatMiB, formatNumber, formatRatio, formatSummary, renderTable } from './format.js';
import { quantile, summarize } from './stats.js';

describe('stats', () => {
  it('interpolates quantiles and summarizes spreads', () => {
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([0, 10], 0.9)).toBe(9);
    expect(quantile([], 0.5)).toBeNaN();
    expect(summarize([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 });
  });
});

describe('format', () => {
  it('prints numbers, spreads and ratios', () => {
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(4.256)).toBe('4.26');
    expect(formatNumber(Number.NaN)).toBe('–');
    expect(formatSummary(summarize([10, 20, 30]))).toBe('20 (10–30)');
    expect(formatSummary(summarize([1.5, 2.25]))).toBe('1.88 (1.50–2.25)');
    expect(formatSummary(undefined)).toBe('pending');
    expect(formatRatio(3, 2)).toBe('1.50×');
    expect(formatRatio(3, 0)).toBe('–');
    expect(formatMiB(64 * 1024 * 1024)).toBe('64 MiB');
  });

  it('aligns table columns', () => {
    const table = renderTable(
      ['name', 'n'],
      [
        ['a', '1'],
        ['bbb', '22'],
      ],
    );
    expect(table.split('\n')).toEqual(['name |  n', '-----+---', 'a    |  1', 'bbb  | 22']);
  });
});
