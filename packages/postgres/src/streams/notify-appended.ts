import { defineStatement, type Statement } from '../internal/statement.js';

/** Announces a committed head on the schema's channel. $1 the channel, $2 the position. */
export const notifyAppendedStatement: Statement = defineStatement(
  'notify_appended',
  'SELECT pg_notify($1::text, $2::text) AS notified',
);
