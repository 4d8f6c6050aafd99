import type { StoredSnapshot } from '@hindsight/core';
import type BetterSqlite3 from 'better-sqlite3';

export type SaveSnapshot = (snapshot: StoredSnapshot) => void;

/** One upsert that keeps the newest: a snapshot older than the stored one changes nothing. */
export function prepareSaveSnapshot(db: BetterSqlite3.Database): SaveSnapshot {
  const upsert = db.prepare<[string, string, number, number, string, number]>(
    'INSERT INTO hindsight_snapshots (stream_id, stream_type, version, schema_version, state, recorded_at) ' +
      'VALUES (?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (stream_id) DO UPDATE SET stream_type = excluded.stream_type, version = excluded.version, ' +
      'schema_version = excluded.schema_version, state = excluded.state, recorded_at = excluded.recorded_at ' +
      'WHERE excluded.version >= hindsight_snapshots.version',
  );
  return (snapshot) => {
    upsert.run(
      snapshot.streamId,
      snapshot.streamType,
      snapshot.version,
      snapshot.schemaVersion,
      JSON.stringify(snapshot.state),
      snapshot.timestamp.getTime(),
    );
  };
}
