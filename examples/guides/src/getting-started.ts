// #region imports
import { createEventStore, createRepository } from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { Account } from './bank.js';
// #endregion imports

/** The getting-started guide, start to end, on a SQLite file at `path`; `print` receives its output. */
export async function gettingStarted(path: string, print: (line: string) => void): Promise<void> {
  // #region store
  const storage = createSqliteStorage({ path }); // creates the file and its folder, migrates it
  const store = createEventStore({ storage, events: [Account] });
  const accounts = createRepository(store, Account);
  // #endregion store

  // #region execute
  await accounts.execute('acc-1', 'open', { owner: 'Ada' });
  await accounts.execute('acc-1', (account) => account.deposit({ amount: 100 }).withdraw({ amount: 30 }));

  const { state, version } = await accounts.load('acc-1');
  print(`${state.owner} has ${state.balance} at version ${version}`);
  // #endregion execute

  // #region history
  for await (const { event, state } of accounts.history('acc-1')) {
    print(`v${event.version} ${event.type}: balance ${state.balance}`);
  }
  const before = await accounts.load('acc-1', { atVersion: 2 });
  print(`at version 2 the balance was ${before.state.balance}`);
  // #endregion history

  // #region close
  await store.close(); // closes the storage too
  // #endregion close
}
