import { defineListener, defineProjection } from '@hindsight/core';
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

/**
 * What the mailer "sent"; while `down`, every send fails (its dead letters are what the tests
 * retry). Kept on globalThis: the CLI imports this module by its file URL, the tests by path, and
 * both must see one mailbox.
 */
const shared = globalThis as { hindsightTestMailbox?: { down: boolean; sent: string[] } };
shared.hindsightTestMailbox ??= { down: true, sent: [] };
export const mailbox = shared.hindsightTestMailbox;

/** A listener mailing each new account's owner: fails while the mailbox is down. */
export const Mailer = defineListener('mailer', { from: [Account] }).on('AccountOpened', (event) => {
  if (mailbox.down) throw new Error(`mail server down (${event.data.owner})`);
  mailbox.sent.push(event.data.owner);
});

export const listeners = [Mailer];
