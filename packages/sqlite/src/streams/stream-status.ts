import type { StreamLifecycleInfo, StreamStatus } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type ReadStreamStatus = (streamId: string) => StreamLifecycleInfo | undefined;

/** One row of `hindsight_streams` with its lifecycle columns (migration 6). */
export interface StreamStatusRow {
  readonly stream_type: string;
  readonly version: number;
  readonly status: string;
  readonly changed_at: number | null;
  readonly reason: string | null;
  readonly archived_up_to: number;
}

export const streamStatusSql =
  'SELECT stream_type, version, status, changed_at, reason, archived_up_to FROM hindsight_streams WHERE stream_id = ?';

export function prepareStreamStatus(db: BetterSqlite3.Database): ReadStreamStatus {
  const select = db.prepare<[string], StreamStatusRow>(streamStatusSql).safeIntegers(false);
  return (streamId) => {
    const row = select.get(streamId);
    return row === undefined ? undefined : toStreamStatus(streamId, row);
  };
}

export function toStreamStatus(streamId: string, row: StreamStatusRow): StreamLifecycleInfo {
  return {
    streamId,
    streamType: row.stream_type,
    version: row.version,
    status: row.status as StreamStatus,
    changedAt: row.changed_at === null ? undefined : new Date(row.changed_at),
    reason: row.reason ?? undefined,
    archivedUpTo: row.archived_up_to,
  };
}
