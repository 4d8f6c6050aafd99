import { defineStatement, type Statement } from '../internal/statement.js';

/** Every checkpoint, by consumer id in code point order. */
export function listCheckpointsStatement(schema: string): Statement {
  return defineStatement(
    'list_checkpoints',
    `SELECT consumer_id, position FROM ${schema}.checkpoints ORDER BY consumer_id COLLATE "C"`,
  );
}

export interface CheckpointListRow {
  readonly consumer_id: string;
  readonly position: string;
}
