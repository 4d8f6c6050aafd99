import { isHindsightError } from '@hindsight/core';

/**
 * Stable names of the failures a program may act on: every error the CLI prints carries one (in
 * text as `[CODE]`, in `--json` as `error.code`), and the explorer's API chooses its HTTP status
 * by them.
 */
export type CliErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNKNOWN_COMMAND'
  | 'UNKNOWN_OPTION'
  | 'MISSING_ARGUMENT'
  | 'STORE_NOT_FOUND'
  | 'STORE_NOT_MIGRATED'
  | 'STORE_UNAVAILABLE'
  | 'CONFIG_MISSING'
  | 'CONFIG_INVALID'
  | 'IMPORT_INVALID'
  | 'IMPORT_FAILED'
  | 'INTERRUPTED'
  | 'LISTEN_FAILED'
  | 'INTERNAL_ERROR'
  | 'UNKNOWN_AGGREGATE'
  | 'UNKNOWN_PROJECTION'
  | 'UNKNOWN_LISTENER'
  | 'STREAM_NOT_FOUND'
  | 'VERSION_OUT_OF_RANGE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'HOST_NOT_ALLOWED'
  | 'CHECK_FAILED';

/**
 * An error the CLI explains itself: a bad argument, a missing store, an unreadable file. `usage`
 * errors add a pointer to the command's `--help`.
 *
 * @example
 * ```ts
 * throw new CliError('no event store at ./events.db', { code: 'STORE_NOT_FOUND' });
 * ```
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly usage: boolean;
  readonly code: CliErrorCode;

  constructor(message: string, options: { code: CliErrorCode; usage?: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.usage = options.usage ?? false;
    this.code = options.code;
  }
}

/** A usage error: what the user typed is wrong. */
export function usageError(message: string, code: CliErrorCode = 'INVALID_ARGUMENT'): CliError {
  return new CliError(message, { usage: true, code });
}

/**
 * The message of any thrown value, looking inside the AggregateError Node raises when every
 * address of a host refused the connection (its own message is empty).
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.message === '') {
    const inner = error.errors.map(describeError).filter((message) => message !== '');
    if (inner.length > 0) return [...new Set(inner)].join('; ');
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (error.message !== '') return error.message;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}

/** The stable code of the Hindsight error thrown, or of the one that caused it. */
export function hindsightCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
    if (isHindsightError(current)) return current.code;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
