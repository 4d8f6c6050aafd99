import type Database from 'better-sqlite3';

/**
 * What inline work (transaction hooks, `transaction(work)`) receives: the connection, inside an
 * open write transaction. Statements run on `db` commit or roll back with the append, so read-model
 * tables stay exactly in step with the events.
 *
 * Inside the transaction, read and write through `db` (or pass the transaction, as in
 * `saveCheckpoint(id, position, transaction)`). Other calls on the storage wait for the
 * transaction to end: `append`, `transaction`, `saveSnapshot` and `saveCheckpoint` without the
 * transaction would wait forever. Reads on the storage do not wait, and see committed data only.
 *
 * @example
 * ```ts
 * await storage.append(request, async ({ db }, events) => {
 *   const upsert = db.prepare('INSERT OR REPLACE INTO order_totals (id, total) VALUES (?, ?)');
 *   for (const event of events) upsert.run(event.streamId, (event.data as { total: number }).total);
 * });
 * ```
 */
export interface SqliteTransaction {
  readonly db: Database.Database;
}
