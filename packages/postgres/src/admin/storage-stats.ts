import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Streams and events counted from the streams table: a stream at version v holds v events, a
 * deleted one (status 2) only its tombstone.
 */
export function storageStatsStatement(schema: string): Statement {
  return defineStatement(
    'storage_stats',
    `SELECT count(*) AS streams, coalesce(sum(CASE WHEN status = 2 THEN 1 ELSE version END), 0) AS events FROM ${schema}.streams`,
  );
}

export interface StorageStatsRow {
  readonly streams: string;
  readonly events: string;
}
