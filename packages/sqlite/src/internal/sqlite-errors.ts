import { HindsightError } from '@hindsight/core';

/** SQLITE_BUSY and its extended codes: another connection holds the lock we need. */
export function isBusy(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** A lock held elsewhere for longer than we wait becomes core's retryable storage error. */
export function translateError(error: unknown, busyTimeoutMs: number): unknown {
  if (!isBusy(error)) return error;
  return new HindsightError(
    'STORAGE_UNAVAILABLE',
    `The SQLite database stayed locked by another connection for more than ${busyTimeoutMs} ms`,
    { retryable: true, cause: error },
  );
}
