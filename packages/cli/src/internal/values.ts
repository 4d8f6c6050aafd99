import { usageError } from './cli-error.js';

/**
 * A whole number such as `--after 10` or `?after=10`, checked; `name` is how the error message
 * calls it (`--after` on the command line, `after` in the explorer's API).
 */
export function wholeNumber(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    throw usageError(`${name} must be a whole number ≥ ${min}, got "${value}"`);
  }
  return Number(value);
}

/** An ISO 8601 instant such as `--until 2026-01-31T12:00:00Z`, checked; `name` as for {@link wholeNumber}. */
export function instant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw usageError(
      `${name} must be an ISO 8601 instant such as 2026-01-31T12:00:00Z or 2026-01-31, got "${value}"`,
    );
  }
  return date;
}

/**
 * Refuses a range that can hold nothing because it ends before it starts (`--from-version 5
 * --to-version 2`), rather than printing nothing as if the store were empty there.
 */
export function checkRange(
  from: { readonly name: string; readonly value: number | undefined },
  to: { readonly name: string; readonly value: number | undefined },
): void {
  if (from.value === undefined || to.value === undefined || from.value <= to.value) return;
  throw usageError(
    `${from.name} ${from.value} is after ${to.name} ${to.value}: the range is empty (give ${from.name} ≤ ${to.name})`,
  );
}

export function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list = value.filter((item): item is string => typeof item === 'string');
  return list.length === 0 ? undefined : list;
}
