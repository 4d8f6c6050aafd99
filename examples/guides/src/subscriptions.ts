import { createEventStore, createRepository, createSubscription } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { Account } from './bank.js';

/** The subscriptions guide on a SQLite file at `path`. */
export async function subscriptionsTour(path: string, print: (line: string) => void): Promise<void> {
  const storage = createSqliteStorage({ path });
  const store = createEventStore({ storage, events: [Account] });
  const accounts = createRepository(store, Account);
  // #region subscription
  storage.db.exec(
    'CREATE TABLE IF NOT EXISTS large_movements (event_id TEXT PRIMARY KEY, account TEXT, amount REAL)',
  );

  const largeMovements = createSubscription(store, {
    name: 'large-movements', // checkpoint subscription:large-movements: keep the name stable
    types: ['MoneyDeposited', 'MoneyWithdrawn'],
    handle: (event, { transaction }) => {
      if (event.data.amount < 1_000) return;
      // Written in the transaction that saves the checkpoint: exactly once.
      transaction.db
        .prepare('INSERT INTO large_movements VALUES (?, ?, ?)')
        .run(event.eventId, event.streamId, event.data.amount);
    },
  });
  await largeMovements.start();
  // #endregion subscription

  await accounts.execute('ada', (account) =>
    account
      .open({ owner: 'Ada' })
      .deposit({ amount: 5_000 })
      .withdraw({ amount: 20 })
      .withdraw({ amount: 2_500 }),
  );
  // #region status
  await largeMovements.waitUntilCaughtUp();
  const { state, position, head, lag, waitingFor } = await largeMovements.status();
  print(`${state} at ${position}/${head}, ${lag.events} behind, waiting for ${waitingFor.kind}`);
  // #endregion status
  const rows = storage.db.prepare('SELECT account, amount FROM large_movements ORDER BY rowid').all();
  print(JSON.stringify(rows));

  // #region read-all
  let total = 0;
  for await (const event of store.readAll({ types: ['MoneyDeposited'], after: 0 }))
    total += event.data.amount;
  print(`deposited in all: ${total}`);
  // #endregion read-all

  await largeMovements.stop();
  await store.close();
}
