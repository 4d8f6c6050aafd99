import { HindsightError } from '@hindsight/core';

// Socket errors, SQLSTATE class 08 (connection exception), server shutting down or full.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
const unavailableMessage = /connection terminated|timeout exceeded when trying to connect|connection error/i;

/** Whether `error` means the database could not be reached (as opposed to refusing a statement). */
export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (unavailableCodes.has(code) || code.startsWith('08'))) return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return error instanceof Error && unavailableMessage.test(error.message);
}

/**
 * Maps connection failures to a retryable `STORAGE_UNAVAILABLE`, and connections the server
 * refuses for good (no such database or role, bad credentials) to a non-retryable one that says
 * what to do; other errors pass unchanged.
 */
export function toStorageError(error: unknown): unknown {
  return refusedConnection(error) ?? (isUnavailable(error) ? storageUnavailable(error) : error);
}

// SQLSTATE 3D000 (invalid catalog name) and class 28 (invalid authorization): trying again cannot
// help, someone has to create the database or role, or fix the connection settings.
function refusedConnection(error: unknown): HindsightError | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code !== '3D000' && code !== '28000' && code !== '28P01') return undefined;
  const reason = error instanceof Error ? error.message : String(error);
  const database = /database "(.*)" does not exist/.exec(reason)?.[1];
  const role = /role "(.*)" does not exist/.exec(reason)?.[1];
  const todo =
    database !== undefined
      ? `create it (CREATE DATABASE ${quoteName(database)}, or \`createdb ${database}\`) or fix the database name of the connection settings`
      : role !== undefined
        ? `create it (CREATE ROLE ${quoteName(role)} LOGIN, with the privileges Hindsight needs) or fix the user of the connection settings`
        : 'check the user, password and pg_hba.conf rules of the connection settings';
  return new HindsightError('STORAGE_UNAVAILABLE', `PostgreSQL refused the connection: ${reason}: ${todo}`, {
    retryable: false,
    cause: error,
  });
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A retryable `STORAGE_UNAVAILABLE` caused by `cause`. */
export function storageUnavailable(cause: unknown): HindsightError {
  const reason = cause instanceof Error && cause.message !== '' ? cause.message : String(cause);
  return new HindsightError('STORAGE_UNAVAILABLE', `PostgreSQL is unavailable: ${reason}`, {
    retryable: true,
    cause,
  });
}

// Undefined table, function or schema: what the storage's own statements meet on a schema that
// `migrate()` has not created or brought up to date.
const unmigratedCodes = new Set(['42P01', '42883', '3F000']);

/**
 * The error of one of the storage's own statements: `SCHEMA_NOT_MIGRATED` when the schema lacks
 * what it needs, else as {@link toStorageError}. Not for the application's queries, whose missing
 * tables are their own.
 */
export function toStatementError(error: unknown): unknown {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !unmigratedCodes.has(code)) return toStorageError(error);
  const reason = error instanceof Error ? error.message : String(error);
  return new HindsightError(
    'SCHEMA_NOT_MIGRATED',
    `The Hindsight schema is missing or older than this version of @hindsight/postgres (${reason}): run migrate() (or \`hindsight migrate\`) first`,
    { cause: error },
  );
}

/** SQLSTATE 23505: a unique constraint refused a row. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
