import {
  activeProjectionVersion,
  createEventStore,
  createInMemoryStorage,
  createProjectionRunner,
  createRepository,
  defineProjection,
  type InMemoryTransaction,
  projectionVersions,
  pruneProjection,
  rebuildProjection,
} from '@hindsight/core';
import type { PostgresTransaction } from '@hindsight/postgres';
import type { SqliteTransaction } from '@hindsight/sqlite';
import { Account } from './bank.js';

/** The balances read model in memory: one map per projection version. */
export function createBalancesView() {
  // #region memory
  const balances = new Map<number, Map<string, number>>(); // version → account stream → balance
  const tableOf = (version: number) => {
    const table = balances.get(version) ?? new Map<string, number>();
    balances.set(version, table);
    return table;
  };
  // Memory has no rollback of its own: each change says how to undo it.
  const add = (transaction: InMemoryTransaction, version: number, account: string, amount: number) => {
    const table = tableOf(version);
    const before = table.get(account);
    table.set(account, (before ?? 0) + amount);
    transaction.onRollback(() => (before === undefined ? table.delete(account) : table.set(account, before)));
  };

  const Balances = defineProjection('balances', { from: [Account] })
    .withTransaction<InMemoryTransaction>()
    .on('MoneyDeposited', (event, { transaction, version }) =>
      add(transaction, version, event.streamId, event.data.amount),
    )
    .on('MoneyWithdrawn', (event, { transaction, version }) =>
      add(transaction, version, event.streamId, -event.data.amount),
    )
    .onReset(({ version, streamId }) => {
      if (streamId === undefined) balances.delete(version);
      else tableOf(version).delete(streamId);
    })
    // A retired version stays for readers still on it, until you prune it (see versions below).
    .onPrune(({ version }) => {
      balances.delete(version);
    });
  // #endregion memory
  return { Balances, balanceOf: (version: number, account: string) => tableOf(version).get(account) };
}

/** The projections guide: inline, then async with a rebuild; `print` receives what it shows. */
export async function projectionsTour(print: (line: string) => void): Promise<void> {
  {
    const { Balances, balanceOf } = createBalancesView();
    // #region inline
    const store = createEventStore({
      storage: createInMemoryStorage(),
      events: [Account],
      inline: [Balances], // updated in each append's transaction
    });
    const accounts = createRepository(store, Account);
    await accounts.execute('acc-1', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 40 }));
    print(`inline: ${balanceOf(1, 'Account-acc-1')}`); // visible as soon as execute returns
    // #endregion inline

    // #region rebuild-inline
    const rebuilt = await rebuildProjection(store, Balances);
    print(`rebuilt inline balances: v${rebuilt.previousVersion} → v${rebuilt.version}`);
    // #endregion rebuild-inline
    print(`inline after the rebuild: ${balanceOf(rebuilt.version, 'Account-acc-1')}`);
    await store.close();
  }
  {
    const { Balances, balanceOf } = createBalancesView();
    // #region async
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Account] });
    const accounts = createRepository(store, Account);
    const balances = createProjectionRunner(store, Balances, { batchSize: 500 });
    await balances.start(); // catches up from its checkpoint, then follows new events

    await accounts.execute('acc-1', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 40 }));
    await balances.waitUntilCaughtUp(); // in tests: wait for what was appended so far
    const { state, position, head } = await balances.status();
    print(`async: ${balanceOf(1, 'Account-acc-1')} (${state} at ${position}/${head})`);
    // #endregion async

    // #region rebuild
    const result = await balances.rebuild({
      onProgress: ({ version, position, head }) => print(`filling v${version}: ${position}/${head}`),
    });
    const version = await activeProjectionVersion(store, Balances); // what readers should query
    print(`rebuilt to v${result.version}, readers use v${version}`);
    // #endregion rebuild
    print(`async after the rebuild: ${balanceOf(version, 'Account-acc-1')}`);

    // #region versions
    const { live, versions } = await projectionVersions(store, Balances);
    for (const { version, state, position, lag } of versions) {
      print(`v${version} ${state} at ${position}, lag ${lag ?? 'none'}`); // a retired one has none
    }
    // Once no reader queries v1: its checkpoint and, through onPrune, its data go.
    const pruned = await pruneProjection(store, Balances, { version: live - 1 });
    print(`pruned v${pruned.version}: checkpoint ${pruned.checkpoint}, read model ${pruned.readModel}`);
    // #endregion versions
    print(`v1 after pruning: ${balanceOf(1, 'Account-acc-1') ?? 'gone'}`);

    // #region stop
    await balances.stop(); // after the event in hand; the checkpoint is where it stopped
    await store.close();
    // #endregion stop
  }
}

/** The balances read model as SQLite tables, one per version. */
export function defineSqliteBalances() {
  // #region sqlite
  const table = (version: number) => `balances_v${version}`;
  const ensureTable = ({ db }: SqliteTransaction, version: number) =>
    db.exec(`CREATE TABLE IF NOT EXISTS ${table(version)} (account TEXT PRIMARY KEY, balance REAL NOT NULL)`);
  const add = (transaction: SqliteTransaction, version: number, account: string, amount: number) => {
    ensureTable(transaction, version);
    transaction.db
      .prepare(
        `INSERT INTO ${table(version)} VALUES (?, ?)
         ON CONFLICT (account) DO UPDATE SET balance = balance + excluded.balance`,
      )
      .run(account, amount);
  };

  return defineProjection('sqliteBalances', { from: [Account] })
    .withTransaction<SqliteTransaction>()
    .on('MoneyDeposited', (event, { transaction, version }) =>
      add(transaction, version, event.streamId, event.data.amount),
    )
    .on('MoneyWithdrawn', (event, { transaction, version }) =>
      add(transaction, version, event.streamId, -event.data.amount),
    )
    .onReset(({ transaction, version, streamId }) => {
      ensureTable(transaction, version);
      if (streamId === undefined) transaction.db.exec(`DELETE FROM ${table(version)}`);
      else transaction.db.prepare(`DELETE FROM ${table(version)} WHERE account = ?`).run(streamId);
    })
    .onActivate(({ transaction, previousVersion }) => {
      transaction.db.exec(`DROP TABLE IF EXISTS ${table(previousVersion)}`);
    });
  // #endregion sqlite
}

/** The balances read model as PostgreSQL tables, one per version. */
export function definePostgresBalances() {
  // #region postgres
  const table = (version: number) => `balances_v${version}`;
  const ensureTable = (tx: PostgresTransaction, version: number) =>
    tx.query(
      `CREATE TABLE IF NOT EXISTS ${table(version)} (account text PRIMARY KEY, balance float8 NOT NULL)`,
    );
  const add = async (tx: PostgresTransaction, version: number, account: string, amount: number) => {
    await ensureTable(tx, version);
    await tx.query(
      `INSERT INTO ${table(version)} VALUES ($1, $2)
       ON CONFLICT (account) DO UPDATE SET balance = ${table(version)}.balance + excluded.balance`,
      [account, amount],
    );
  };

  return defineProjection('postgresBalances', { from: [Account] })
    .withTransaction<PostgresTransaction>()
    .on('MoneyDeposited', (event, { transaction, version }) =>
      add(transaction, version, event.streamId, event.data.amount),
    )
    .on('MoneyWithdrawn', (event, { transaction, version }) =>
      add(transaction, version, event.streamId, -event.data.amount),
    )
    .onReset(async ({ transaction, version, streamId }) => {
      await ensureTable(transaction, version);
      if (streamId === undefined) await transaction.query(`DELETE FROM ${table(version)}`);
      else await transaction.query(`DELETE FROM ${table(version)} WHERE account = $1`, [streamId]);
    })
    .onActivate(async ({ transaction, previousVersion }) => {
      await transaction.query(`DROP TABLE IF EXISTS ${table(previousVersion)}`);
    });
  // #endregion postgres
}
