import type { GlobalPageQuery } from '@hindsight/core';
import { toArrayLiteral } from '../internal/array-literal.js';
import { eventColumns } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Pages of the global log through the `read_all_page*` functions (migration 5), one variant per
 * index: the primary key when unfiltered, else (type, position) or (stream_type, position). A
 * filter on several values runs one index range per value (each stopping at the limit) and merges
 * them, so a subscriber's poll costs the page it returns, not a scan of the log.
 */
export interface ReadAllStatements {
  readonly unfiltered: Statement;
  readonly byType: Statement;
  readonly byStreamType: Statement;
}

/** $1 after, $2 up to, $3 limit; filtered: $4 the indexed values, $5 the other filter (or null). */
export function readAllStatements(schema: string): ReadAllStatements {
  const page = (name: string, filtered: boolean): Statement =>
    defineStatement(
      name,
      `SELECT ${eventColumns('e')}
FROM ${schema}.${name}($1::int8, $2::int8, $3::int${filtered ? ', $4::text[], $5::text[]' : ''}) e
ORDER BY e.position`,
    );
  return {
    unfiltered: page('read_all_page', false),
    byType: page('read_all_page_by_type', true),
    byStreamType: page('read_all_page_by_stream_type', true),
  };
}

/** Above every position: the bound of a read without `upTo`. */
export const maxPosition = '9223372036854775807';

/** Picks the variant for `query` and its parameters. */
export function readAllCall(
  statements: ReadAllStatements,
  query: GlobalPageQuery,
): { statement: Statement; params: unknown[] } {
  const bounds = [query.after, query.upTo ?? maxPosition, query.limit];
  const list = (values: readonly string[] | undefined): string | null =>
    values === undefined ? null : toArrayLiteral([...new Set(values)]);
  if (query.types !== undefined) {
    return { statement: statements.byType, params: [...bounds, list(query.types), list(query.streamTypes)] };
  }
  if (query.streamTypes !== undefined) {
    return { statement: statements.byStreamType, params: [...bounds, list(query.streamTypes), null] };
  }
  return { statement: statements.unfiltered, params: bounds };
}
