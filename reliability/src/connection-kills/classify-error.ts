import { HindsightError, isHindsightError } from '@hindsight/core';

/**
 * How an append failed while its connection was being killed:
 * - `typed`: a `HindsightError` with code `STORAGE_UNAVAILABLE` and `retryable: true`, as promised;
 * - `raw-pg`: the driver's own error leaked (a `pg` error or "Connection terminated");
 * - `other`: anything else (a bug: reported with its message).
 */
export type ErrorKind = 'typed' | 'raw-pg' | 'other';

export function classifyError(error: unknown): ErrorKind {
  if (isHindsightError(error, 'STORAGE_UNAVAILABLE') && (error as HindsightError).retryable === true) {
    return 'typed';
  }
  if (error instanceof HindsightError) return 'other';
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return 'raw-pg';
    if (
      /connection terminated|terminating connection|Client has encountered a connection error/i.test(
        error.message,
      )
    ) {
      return 'raw-pg';
    }
  }
  return 'other';
}

export function describeError(error: unknown): string {
  if (error instanceof HindsightError) return `${error.name} ${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.constructor.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}
