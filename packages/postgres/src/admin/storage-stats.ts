import { defineStatement, type Statement } from '../internal/statement.js';

/** Streams and events counted from the streams table: a stream at version v holds v events. */
export function storageStatsStatement(schema: string): Statement {
  return defineStatement(
    'storage_stats',
    `SELECT count(*) AS streams, coalesce(sum(version), 0) AS events FROM ${schema}.streams`,
  );
}

export interface StorageStatsRow {
  readonly streams: string;
  readonly events: string;
}
