import { defineStatement, type Statement } from '../internal/statement.js';

/** $1 collection, $2 key. */
export function getDocumentStatement(schema: string): Statement {
  return defineStatement(
    'get_document',
    `SELECT key, value FROM ${schema}.documents WHERE collection = $1::text AND key = $2::text`,
  );
}

/** A document row in PostgreSQL text form. */
export interface DocumentRow {
  readonly key: string;
  readonly value: string;
}
