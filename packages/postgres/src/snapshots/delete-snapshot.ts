import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 stream id. */
export function deleteSnapshotStatement(schema: string): Statement {
  return defineStatement('delete_snapshot', `DELETE FROM ${schema}.snapshots WHERE stream_id = $1::text`);
}
