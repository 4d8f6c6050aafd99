import type { DocumentQuery, StoredDocument } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ListDocuments = (collection: string, query: DocumentQuery) => StoredDocument[];

type ListParameters = Record<string, string | number>;

/**
 * A key range of one collection, walked along the (collection, key) primary key: one statement per
 * combination of bounds, because `@after IS NULL OR key > @after` would hide the range from the
 * planner. SQLite compares text as UTF-8 bytes, that is by code point: the same order as UTF-16
 * code units except that characters U+E000–U+FFFF sort before, not after, those beyond U+FFFF.
 */
export function prepareListDocuments(db: BetterSqlite3.Database): ListDocuments {
  const statement = (after: boolean, upTo: boolean) =>
    db.prepare<[ListParameters], { key: string; value: string }>(
      'SELECT key, value FROM hindsight_documents WHERE collection = @collection' +
        (after ? ' AND key > @after' : '') +
        (upTo ? ' AND key <= @upTo' : '') +
        ' ORDER BY key LIMIT @limit',
    );
  const statements = [
    statement(false, false),
    statement(true, false),
    statement(false, true),
    statement(true, true),
  ];
  return (collection, query) => {
    const parameters: ListParameters = { collection, limit: query.limit };
    if (query.after !== undefined) parameters.after = query.after;
    if (query.upTo !== undefined) parameters.upTo = query.upTo;
    const index = (query.after === undefined ? 0 : 1) + (query.upTo === undefined ? 0 : 2);
    return (statements[index] as (typeof statements)[number])
      .all(parameters)
      .map((row) => ({ key: row.key, value: JSON.parse(row.value) }));
  };
}
