import { isHindsightError } from '@hindsight/core';

/**
 * The CLI's own codes, each with when it is raised: the error-code page of the documentation is
 * generated from this list (`npm run docs:errors`).
 */
export const cliErrorCodes = {
  UNKNOWN_COMMAND: 'A misspelt or missing command name (`hindsight evnts`, `hindsight help nope`).',
  UNKNOWN_OPTION: 'An option the command does not have (`--folow`).',
  MISSING_ARGUMENT: "An argument, the command itself or an option's value is missing.",
  INVALID_ARGUMENT:
    'A value or a combination of options is wrong: a negative number, an empty or inverted range, a bad instant. In the explorer: a bad query parameter.',
  STORE_NOT_FOUND: 'No SQLite file where the store should be (`hindsight migrate` creates it).',
  STORE_NOT_MIGRATED:
    'A PostgreSQL schema or a SQLite file without Hindsight tables (`hindsight migrate` creates them); nothing was written to it.',
  STORE_UNAVAILABLE:
    'The store cannot be opened or reached: a refused connection, a file that is not a store.',
  CONFIG_MISSING: 'The command needs your definitions and no config module was given or found.',
  CONFIG_INVALID: 'The config module does not load, or does not export what the command needs.',
  UNKNOWN_AGGREGATE: 'An aggregate the config module does not define.',
  UNKNOWN_PROJECTION: 'A projection the config module does not define.',
  UNKNOWN_LISTENER: 'A listener the config module does not define.',
  STREAM_NOT_FOUND: 'No stream with that id.',
  VERSION_OUT_OF_RANGE: "A version beyond the stream's last.",
  IMPORT_INVALID: 'An import line that is not a valid event; nothing was imported.',
  IMPORT_FAILED: "The store refused an imported event (the message names the line and the store's code).",
  CHECK_FAILED: '`hindsight check` found stored events that do not fit the current definitions.',
  INTERRUPTED: 'Ctrl-C stopped an import or a rebuild; run it again to resume.',
  LISTEN_FAILED: '`hindsight explore` cannot listen on its address and port (the port is taken, …).',
  ROUTE_NOT_FOUND: 'The explorer has nothing at that path.',
  METHOD_NOT_ALLOWED: 'The explorer is read-only: anything but GET and HEAD.',
  HOST_NOT_ALLOWED:
    'The explorer does not answer for that Host header (DNS-rebinding guard); `--allow-host` adds a name.',
  INTERNAL_ERROR: 'A bug: the message comes with a stack trace to report.',
} as const satisfies Readonly<Record<string, string>>;

/**
 * Stable names of the failures a program may act on: every error the CLI prints carries one (in
 * text as `[CODE]`, in `--json` as `error.code`), and the explorer's API chooses its HTTP status
 * by them.
 */
export type CliErrorCode = keyof typeof cliErrorCodes;

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
