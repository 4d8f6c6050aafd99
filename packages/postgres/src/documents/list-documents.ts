import type { DocumentQuery } from '@hindsight/core';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * A key range of one collection, walking the primary key in order. Both bounds are index
 * conditions, so a bounded page (e.g. deadlines due by now) stops at its upper bound instead of
 * filtering the rest of the collection: hence two variants, with and without `upTo`.
 */
export interface ListDocumentsStatements {
  readonly open: Statement;
  readonly bounded: Statement;
}

/**
 * $1 collection, $2 lower bound (`after`, or '' which every key is ≥), $3 whether $2 is
 * exclusive, $4 limit; bounded: $5 inclusive upper bound.
 */
export function listDocumentsStatements(schema: string): ListDocumentsStatements {
  const text = (upper: string): string =>
    `SELECT key, value FROM ${schema}.documents
WHERE collection = $1::text AND key >= $2::text AND NOT ($3::boolean AND key = $2::text)${upper}
ORDER BY key LIMIT $4::int`;
  return {
    open: defineStatement('list_documents', text('')),
    bounded: defineStatement('list_documents_up_to', text(' AND key <= $5::text')),
  };
}

/** Picks the variant for `query` and its parameters. */
export function listDocumentsCall(
  statements: ListDocumentsStatements,
  collection: string,
  query: DocumentQuery,
): { statement: Statement; params: unknown[] } {
  const params = [collection, query.after ?? '', query.after !== undefined, query.limit];
  return query.upTo === undefined
    ? { statement: statements.open, params }
    : { statement: statements.bounded, params: [...params, query.upTo] };
}
