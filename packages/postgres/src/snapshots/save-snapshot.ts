import type { StoredSnapshot } from '@hindsight/core';
import { defineStatement, type Statement } from '../internal/statement.js';

/** Upserts a snapshot unless a newer version is stored (an equal version replaces it). */
export function saveSnapshotStatement(schema: string): Statement {
  return defineStatement(
    'save_snapshot',
    `INSERT INTO ${schema}.snapshots AS s (stream_id, stream_type, version, schema_version, state, taken_at)
VALUES ($1::text, $2::text, $3::int, $4::int, $5::jsonb, $6::timestamptz)
ON CONFLICT (stream_id) DO UPDATE SET stream_type = excluded.stream_type, version = excluded.version,
  schema_version = excluded.schema_version, state = excluded.state, taken_at = excluded.taken_at
WHERE s.version <= excluded.version`,
  );
}

export function saveSnapshotParams(snapshot: StoredSnapshot): unknown[] {
  return [
    snapshot.streamId,
    snapshot.streamType,
    snapshot.version,
    snapshot.schemaVersion,
    JSON.stringify(snapshot.state),
    snapshot.timestamp.toISOString(),
  ];
}
