import type { Summary } from './stats.js';

/** A rate or count with thousands separators and at most 3 significant decimals. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const digits = Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `12,345 (11,900–12,800)`: the median with its min–max spread. */
export function formatSummary(summary: Summary | undefined): string {
  if (summary === undefined || !Number.isFinite(summary.median)) return 'pending';
  if (summary.samples.length < 2) return formatNumber(summary.median);
  return `${formatNumber(summary.median)} (${formatNumber(summary.min)}–${formatNumber(summary.max)})`;
}

/** `1.52×`, or `–` when either side is missing. */
export function formatRatio(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined) return '–';
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return '–';
  return `${(numerator / denominator).toFixed(2)}×`;
}

/** Milliseconds with a unit, precise for small values. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  return `${formatNumber(ms)} ms`;
}

/** Bytes as MiB. */
export function formatMiB(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** A plain-text table with aligned columns (first column left-aligned, the others right-aligned). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join(' | ');
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
