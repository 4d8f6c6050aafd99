import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 consumer id. */
export function loadCheckpointStatement(schema: string): Statement {
  return defineStatement(
    'load_checkpoint',
    `SELECT position FROM ${schema}.checkpoints WHERE consumer_id = $1::text`,
  );
}

export interface CheckpointRow {
  readonly position: string;
}
