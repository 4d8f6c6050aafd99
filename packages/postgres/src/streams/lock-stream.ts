import { defineStatement, type Statement } from '../internal/statement.js';

// The first key of the stream locks ('HSs1'): a class of its own, apart from the position lock.
const streamLockClass = 0x48537331;

/**
 * Takes the transaction-scoped advisory lock of one stream, waiting for its holder. $1 the lock
 * class, $2 the schema and stream id (a hash collision only makes two streams queue together).
 */
export const lockStreamStatement: Statement = defineStatement(
  'lock_stream',
  'SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))::text AS locked',
);

export function lockStreamParams(schema: string, streamId: string): unknown[] {
  return [streamLockClass, `${schema}/${streamId}`];
}
