import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 consumer id, $2 position. */
export function saveCheckpointStatement(schema: string): Statement {
  return defineStatement(
    'save_checkpoint',
    `INSERT INTO ${schema}.checkpoints AS c (consumer_id, position, updated_at) VALUES ($1::text, $2::int8, now())
ON CONFLICT (consumer_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
  );
}
