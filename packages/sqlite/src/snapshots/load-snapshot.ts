import type { StoredSnapshot } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type LoadSnapshot = (streamId: string) => StoredSnapshot | undefined;

interface SnapshotRow {
  readonly stream_type: string;
  readonly version: number;
  readonly schema_version: number;
  readonly state: string;
  readonly recorded_at: number;
}

export function prepareLoadSnapshot(db: BetterSqlite3.Database): LoadSnapshot {
  const select = db
    .prepare<[string], SnapshotRow>(
      'SELECT stream_type, version, schema_version, state, recorded_at ' +
        'FROM hindsight_snapshots WHERE stream_id = ?',
    )
    .safeIntegers(false);
  return (streamId) => {
    const row = select.get(streamId);
    if (row === undefined) return undefined;
    return {
      streamId,
      streamType: row.stream_type,
      version: row.version,
      schemaVersion: row.schema_version,
      state: JSON.parse(row.state),
      timestamp: new Date(row.recorded_at),
    };
  };
}
