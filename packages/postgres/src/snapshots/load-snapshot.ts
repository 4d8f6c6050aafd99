import type { StoredSnapshot } from '@hindsight/core';
import { epochMilliseconds } from '../internal/event-row.js';
import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 stream id. */
export function loadSnapshotStatement(schema: string): Statement {
  return defineStatement(
    'load_snapshot',
    `SELECT stream_id, stream_type, version, schema_version, state, ${epochMilliseconds('taken_at')} AS taken_ms
FROM ${schema}.snapshots WHERE stream_id = $1::text`,
  );
}

export interface SnapshotRow {
  readonly stream_id: string;
  readonly stream_type: string;
  readonly version: string;
  readonly schema_version: string;
  readonly state: string;
  readonly taken_ms: string;
}

export function toStoredSnapshot(row: SnapshotRow): StoredSnapshot {
  return {
    streamId: row.stream_id,
    streamType: row.stream_type,
    version: Number(row.version),
    schemaVersion: Number(row.schema_version),
    state: JSON.parse(row.state),
    timestamp: new Date(Number(row.taken_ms)),
  };
}
