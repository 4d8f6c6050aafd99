import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 collection, $2 key. */
export function deleteDocumentStatement(schema: string): Statement {
  return defineStatement(
    'delete_document',
    `DELETE FROM ${schema}.documents WHERE collection = $1::text AND key = $2::text`,
  );
}
