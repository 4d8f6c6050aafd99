import { type GlobalPageQuery, partitionOf, type StoredEvent } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';
import { type EventRow, eventColumns, toStoredEvent } from '../internal/event-row.js';

export type ReadAll = (query: GlobalPageQuery) => StoredEvent[];

type Parameters = Record<string, string | number>;

/**
 * Beyond this many values, one `IN` list replaces the union: SQLite caps compound selects at 500
 * arms, and a filter that wide is close to a full read anyway.
 */
const maxUnionArms = 32;
// Each value's arm reads two tables (hot and archive): 64 arms at most, under SQLite's 500.

/**
 * One page of the global log after a position, index-backed for every filter. A filter on several
 * types (or stream types) is a UNION ALL of one (type, position) index range per value, merged in
 * position order, so a page costs about `limit` index steps per value however far behind the
 * reader is. An `IN` list would instead collect and sort every matching event after the position.
 */
export function prepareReadAll(db: BetterSqlite3.Database): ReadAll {
  const statements = new Map<string, BetterSqlite3.Statement<[Parameters], EventRow>>();
  // Core's own hash, so a partition read here holds exactly the streams the reader would keep.
  db.function('hindsight_partition', { deterministic: true }, (streamId, count) =>
    partitionOf(String(streamId), Number(count)),
  );

  return (query) => {
    const types = distinct(query.types);
    const streamTypes = distinct(query.streamTypes);
    if (types?.length === 0 || streamTypes?.length === 0) return [];
    const parameters: Parameters = {
      after: query.after,
      upTo: query.upTo ?? Number.MAX_SAFE_INTEGER,
      limit: query.limit,
    };
    // With both filters, the types pick the index and the stream types are checked along the way.
    const column = types !== undefined ? 'type' : streamTypes !== undefined ? 'stream_type' : undefined;
    const values = types ?? streamTypes ?? [];
    const alsoStreamTypes = types !== undefined && streamTypes !== undefined;
    const { partition } = query;
    if (partition !== undefined) {
      parameters.partitionIndex = partition.index;
      parameters.partitionCount = partition.count;
    }
    if (alsoStreamTypes) parameters.streamTypes = JSON.stringify(streamTypes);
    const arms = values.length > maxUnionArms ? 'in' : values.length;
    if (arms === 'in') parameters.values = JSON.stringify(values);
    else for (const [index, value] of values.entries()) parameters[`v${index}`] = value;

    const key = `${column}:${arms}:${alsoStreamTypes}:${partition !== undefined}`;
    let statement = statements.get(key);
    if (statement === undefined) {
      statement = db
        .prepare<[Parameters], EventRow>(pageSql(column, arms, alsoStreamTypes, partition !== undefined))
        .safeIntegers(false);
      statements.set(key, statement);
    }
    return statement.all(parameters).map(toStoredEvent);
  };
}

/** The SQL of one page shape: no filter, a union of `arms` index ranges, or an `IN` list. */
export function pageSql(
  column: string | undefined,
  arms: number | 'in',
  alsoStreamTypes: boolean,
  byPartition = false,
): string {
  // Each range is read from the hot table and the archive alike: archiving moves events, never
  // takes them out of the log.
  const select = (filter: string) =>
    ['hindsight_events', 'hindsight_archived_events']
      .map(
        (table) =>
          `SELECT ${eventColumns} FROM ${table} WHERE ${filter}position > @after AND position <= @upTo` +
          (alsoStreamTypes ? ' AND stream_type IN (SELECT value FROM json_each(@streamTypes))' : '') +
          (byPartition ? ' AND hindsight_partition(stream_id, @partitionCount) = @partitionIndex' : ''),
      )
      .join(' UNION ALL ');
  const page = ' ORDER BY position LIMIT @limit';
  if (column === undefined) return select('') + page;
  if (arms === 'in') return `${select(`${column} IN (SELECT value FROM json_each(@values)) AND `)}${page}`;
  return (
    Array.from({ length: arms }, (_, index) => select(`${column} = @v${index} AND `)).join(' UNION ALL ') +
    page
  );
}

function distinct(values: readonly string[] | undefined): string[] | undefined {
  return values === undefined ? undefined : [...new Set(values)];
}
