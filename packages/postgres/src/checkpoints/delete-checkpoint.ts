import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 consumer id. */
export function deleteCheckpointStatement(schema: string): Statement {
  return defineStatement(
    'delete_checkpoint',
    `DELETE FROM ${schema}.checkpoints WHERE consumer_id = $1::text`,
  );
}
