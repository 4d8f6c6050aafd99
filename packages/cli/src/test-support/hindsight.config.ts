import { defineProjection } from '@hindsight/core';
import type { SqliteTransaction } from '@hindsight/sqlite';
import { Account } from './account.js';

/**
 * Balances per account, a table per read-model version, written through the SQLite transaction:
 * what the tests rebuild with `hindsight rebuild`.
 */
const Balances = defineProjection('balances', { from: [Account] })
  .withTransaction<SqliteTransaction>()
  .onReset(({ transaction: { db }, version, streamId }) => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS balances_v${version} (account TEXT PRIMARY KEY, balance REAL NOT NULL)`,
    );
    if (streamId === undefined) db.exec(`DELETE FROM balances_v${version}`);
    else db.prepare(`DELETE FROM balances_v${version} WHERE account = ?`).run(streamId);
  })
  .onPrune(({ transaction: { db }, version }) => {
    db.exec(`DROP TABLE IF EXISTS balances_v${version}`);
  })
  .onBatch(['Deposited'], (events, { transaction: { db }, version }) => {
    const add = db.prepare(
      `INSERT INTO balances_v${version} VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET balance = balance + excluded.balance`,
    );
    for (const event of events) add.run(event.streamId, event.data.amount);
  });

/** The config module the tests pass to `hindsight state --config` and `hindsight rebuild --config`. */
export const aggregates = [Account];
export const projections = [Balances];
