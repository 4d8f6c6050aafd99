import { usageError } from '../internal/cli-error.js';
import { instant, wholeNumber } from '../internal/values.js';

/**
 * The query string of one API request, checked against the names its route takes: a misspelt
 * or repeated parameter is refused rather than silently ignored. An empty value counts as absent,
 * as an empty field of a form is.
 */
export class QueryParameters {
  readonly #query: URLSearchParams;

  /** `repeatable`: names that may be given more than once (`type=A&type=B`). */
  constructor(query: URLSearchParams, names: readonly string[], repeatable: readonly string[] = []) {
    this.#query = query;
    for (const name of new Set(query.keys())) {
      if (!names.includes(name)) {
        const known = names.length === 0 ? 'none' : names.join(', ');
        throw usageError(`unknown parameter "${name}" (this route takes: ${known})`);
      }
      if (!repeatable.includes(name) && query.getAll(name).length > 1) {
        throw usageError(`${name} is given more than once`);
      }
    }
  }

  string(name: string): string | undefined {
    const value = this.#query.get(name);
    return value === null || value === '' ? undefined : value;
  }

  list(name: string): string[] | undefined {
    const values = this.#query.getAll(name).filter((value) => value !== '');
    return values.length === 0 ? undefined : values;
  }

  wholeNumber(name: string, min: number): number | undefined {
    return wholeNumber(name, this.string(name), min);
  }

  instant(name: string): Date | undefined {
    return instant(name, this.string(name));
  }

  /** A page size: `fallback` when absent, refused above `max` so one request stays small. */
  limit(fallback: number, max: number): number {
    const limit = this.wholeNumber('limit', 1) ?? fallback;
    if (limit > max) throw usageError(`limit must be at most ${max}, got "${limit}"`);
    return limit;
  }
}
