import {
  createEventStore,
  createRepository,
  createSubscription,
  listConsumerFailures,
} from '@hindsight/core';
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

/** Where a subscription starts, starting over, and a failure and its restart, on a SQLite file. */
export async function restartsTour(path: string, print: (line: string) => void): Promise<void> {
  const store = createEventStore({ storage: createSqliteStorage({ path }), events: [Account] });
  const accounts = createRepository(store, Account);
  await accounts.execute('bo', (account) =>
    account.open({ owner: 'Bo' }).deposit({ amount: 10 }).deposit({ amount: 20 }),
  );
  const exported: number[] = [];
  // #region start-from
  // Positions 1 and 2 were exported by an earlier tool: go on after them.
  const exporter = createSubscription(store, {
    name: 'exporter',
    startFrom: { position: 2 }, // used only without a checkpoint, and saved as one at once
    handle: (event) => void exported.push(event.position),
  });
  await exporter.start();
  // #endregion start-from
  await exporter.waitUntilCaughtUp();
  print(`exported ${exported.join(', ')}`);
  // #region start-over
  await exporter.stop();
  await store.deleteCheckpoint('subscription:exporter'); // the id is <kind>:<name>
  await exporter.start(); // no checkpoint: from its startFrom again
  // #endregion start-over
  await exporter.waitUntilCaughtUp();
  await exporter.stop();
  print(`exported ${exported.join(', ')}`);

  let ledgerReachable = false;
  // #region on-error
  const ledger = createSubscription(store, {
    name: 'ledger',
    retry: { attempts: 3, initialDelayMs: 10 },
    handle: (event) => {
      if (!ledgerReachable) throw new Error('ledger unreachable');
      print(`ledger: ${event.type} #${event.position}`);
    },
    // Called once it gives up; \`error\` is a HANDLER_FAILED whose \`cause\` is the handler's error.
    onError: ({ consumer, event, attempts }) =>
      print(`${consumer} gave up at ${event?.type} #${event?.position} after ${attempts} attempts`),
  });
  // #endregion on-error
  await ledger.start();
  await ledger.waitUntilCaughtUp().catch(() => undefined);
  // #region failures
  for (const failure of await listConsumerFailures(store)) {
    print(
      `${failure.checkpointId} ${failure.state} at #${failure.event?.position}: ${failure.error.message}`,
    );
  }
  ledgerReachable = true; // the cause is fixed
  await ledger.start(); // resumes at the event it failed on; no process restart
  await ledger.waitUntilCaughtUp();
  print(`failures recorded: ${(await listConsumerFailures(store)).length}`);
  // #endregion failures
  await ledger.stop();
  await store.close();
}
