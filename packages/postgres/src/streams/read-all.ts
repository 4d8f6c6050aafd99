import type { GlobalPageQuery } from '@hindsight/core';
import { toArrayLiteral } from '../internal/array-literal.js';
import { eventColumns } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Pages of the global log through the `read_all_page*` functions (migration 5), one variant per
 * index: the primary key when unfiltered, else (type, position) or (stream_type, position). A
 * filter on several values runs one index range per value (each stopping at the limit) and merges
 * them, so a subscriber's poll costs the page it returns, not a scan of the log. A partition's
 * page has the same three variants (`read_partition_page*`, migration 11), which keep only the
 * partition's streams.
 */
export interface ReadAllStatements {
  readonly unfiltered: Statement;
  readonly byType: Statement;
  readonly byStreamType: Statement;
  readonly partition: Omit<ReadAllStatements, 'partition'>;
}

/**
 * $1 after, $2 up to, $3 limit; partition: $4 its index, $5 the count; filtered: then the indexed
 * values and the other filter (or null).
 */
export function readAllStatements(schema: string): ReadAllStatements {
  const page = (name: string, filtered: boolean, partition: boolean): Statement => {
    const args = ['$1::int8', '$2::int8', '$3::int'];
    if (partition) args.push('$4::int', '$5::int');
    if (filtered) args.push(`$${args.length + 1}::text[]`, `$${args.length + 2}::text[]`);
    return defineStatement(
      name,
      `SELECT ${eventColumns('e')}
FROM ${schema}.${name}(${args.join(', ')}) e
ORDER BY e.position`,
    );
  };
  return {
    unfiltered: page('read_all_page', false, false),
    byType: page('read_all_page_by_type', true, false),
    byStreamType: page('read_all_page_by_stream_type', true, false),
    partition: {
      unfiltered: page('read_partition_page', false, true),
      byType: page('read_partition_page_by_type', true, true),
      byStreamType: page('read_partition_page_by_stream_type', true, true),
    },
  };
}

/** Above every position: the bound of a read without `upTo`. */
export const maxPosition = '9223372036854775807';

/** Picks the variant for `query` and its parameters. */
export function readAllCall(
  statements: ReadAllStatements,
  query: GlobalPageQuery,
): { statement: Statement; params: unknown[] } {
  const { partition } = query;
  const bounds: unknown[] = [query.after, query.upTo ?? maxPosition, query.limit];
  if (partition !== undefined) bounds.push(partition.index, partition.count);
  const variants = partition === undefined ? statements : statements.partition;
  const list = (values: readonly string[] | undefined): string | null =>
    values === undefined ? null : toArrayLiteral([...new Set(values)]);
  if (query.types !== undefined) {
    return { statement: variants.byType, params: [...bounds, list(query.types), list(query.streamTypes)] };
  }
  if (query.streamTypes !== undefined) {
    return { statement: variants.byStreamType, params: [...bounds, list(query.streamTypes), null] };
  }
  return { statement: variants.unfiltered, params: bounds };
}
