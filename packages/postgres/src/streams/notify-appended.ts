import { defineStatement, type Statement } from '../internal/statement.js';

/**
 * Announces a committed head on the schema's channel. $1 the channel, $2 the position. Its own
 * transaction commits without waiting for the WAL flush (`synchronous_commit` off for it alone):
 * the notification is a hint that carries no data, and waiting for the disk made every
 * announcement cost as much as an append's commit.
 */
export const notifyAppendedStatement: Statement = defineStatement(
  'notify_appended',
  `SELECT pg_notify($1::text, $2::text) AS notified,
  set_config('synchronous_commit', 'off', true) AS commit_mode`,
);
