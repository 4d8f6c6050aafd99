import type { GlobalPageQuery } from '@hindsight/core';
import { toArrayLiteral } from '../internal/array-literal.js';
import { defineStatement, type Statement } from '../internal/statement.js';
import { eventColumns } from './event-row.js';

/**
 * Pages of the global log, one variant per index: the primary key when unfiltered, else
 * (type, position) or (stream_type, position). A filter on several values runs one index range
 * per value (LATERAL, each stopping at the limit) and merges them, so a subscriber's poll costs
 * the page it returns, not a scan of the log.
 */
export interface ReadAllStatements {
  readonly unfiltered: Statement;
  readonly byType: Statement;
  readonly byStreamType: Statement;
}

/** $1 after, $2 up to, $3 limit; filtered: $4 the indexed values, $5 the other filter (or null). */
export function readAllStatements(schema: string): ReadAllStatements {
  const filtered = (indexed: 'type' | 'stream_type', other: 'type' | 'stream_type'): string =>
    `SELECT ${eventColumns('e')} FROM unnest($4::text[]) AS f(value)
CROSS JOIN LATERAL (
  SELECT * FROM ${schema}.events x
  WHERE x.${indexed} = f.value AND x.position > $1::int8 AND x.position <= $2::int8
    AND ($5::text[] IS NULL OR x.${other} = ANY($5::text[]))
  ORDER BY x.position LIMIT $3::int
) e
ORDER BY e.position LIMIT $3::int`;
  return {
    unfiltered: defineStatement(
      'read_all',
      `SELECT ${eventColumns('e')} FROM ${schema}.events e
WHERE e.position > $1::int8 AND e.position <= $2::int8
ORDER BY e.position LIMIT $3::int`,
    ),
    byType: defineStatement('read_all_by_type', filtered('type', 'stream_type')),
    byStreamType: defineStatement('read_all_by_stream_type', filtered('stream_type', 'type')),
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
