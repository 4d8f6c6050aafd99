import type { StreamListQuery } from '@hindsight/core';
import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * A page of the streams table in code point order (`COLLATE "C"`, as the port promises, whatever
 * the database's collation). $1 lower bound (`after`, or '' which every id is ≥), $2 whether $1 is
 * exclusive, $3 stream type or null for all, $4 limit.
 */
export function listStreamsStatement(schema: string): Statement {
  return defineStatement(
    'list_streams',
    `SELECT stream_id, stream_type, version FROM ${schema}.streams
WHERE stream_id COLLATE "C" >= $1::text AND NOT ($2::boolean AND stream_id = $1::text)
  AND ($3::text IS NULL OR stream_type = $3::text)
ORDER BY stream_id COLLATE "C" LIMIT $4::int`,
  );
}

export function listStreamsParams(query: StreamListQuery): unknown[] {
  return [query.after ?? '', query.after !== undefined, query.streamType ?? null, query.limit];
}

export interface StreamRow {
  readonly stream_id: string;
  readonly stream_type: string;
  readonly version: string;
}
