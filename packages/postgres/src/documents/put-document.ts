import { defineStatement, type Statement } from '../internal/statement.js';

/** Inserts or replaces. $1 collection, $2 key, $3 value (JSON text). */
export function putDocumentStatement(schema: string): Statement {
  return defineStatement(
    'put_document',
    `INSERT INTO ${schema}.documents (collection, key, value, updated_at) VALUES ($1::text, $2::text, $3::jsonb, now())
ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );
}
