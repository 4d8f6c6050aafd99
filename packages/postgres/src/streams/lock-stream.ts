import { defineStatement, type Statement } from '../internal/statement.js';

// The first key of the stream locks ('HSs1'): a class of its own, apart from the position lock.
const streamLockClass = 0x48537331;

/**
 * Tries the session-scoped advisory lock of one stream, without waiting: 't' when taken. $1 the lock
 * class, $2 the schema and stream id (a hash collision only makes two streams queue together).
 */
export const tryLockStreamStatement: Statement = defineStatement(
  'try_lock_stream',
  'SELECT pg_try_advisory_lock($1::int4, hashtext($2::text))::text AS locked',
);

/** Releases a stream lock taken by {@link tryLockStreamStatement} on the same session. */
export const unlockStreamStatement: Statement = defineStatement(
  'unlock_stream',
  'SELECT pg_advisory_unlock($1::int4, hashtext($2::text))::text AS unlocked',
);

export function lockStreamParams(schema: string, streamId: string): unknown[] {
  return [streamLockClass, `${schema}/${streamId}`];
}
