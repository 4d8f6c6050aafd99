// The app the install test compiles and runs in a fresh project, against the packages as published:
// an aggregate, an inline projection kept in the storage's documents, appends and loads, on the
// store named by its first argument. It exits non-zero on any surprise.
import {
  createEventStore,
  createInMemoryStorage,
  createRepository,
  defineAggregate,
  defineProjection,
  type EventStorage,
} from '@hindsight/core';
import { createPostgresStorage, type PostgresStorage } from '@hindsight/postgres';
import { createSqliteStorage } from '@hindsight/sqlite';
import pg from 'pg';
import { z } from 'zod';

const Account = defineAggregate('Account')
  .events({
    Opened: z.object({ owner: z.string().min(1) }),
    Deposited: z.object({ amount: z.number().positive() }),
  })
  .initialState(() => ({ owner: undefined as string | undefined, balance: 0 }))
  .evolve({
    Opened: (state, { data }) => ({ ...state, owner: data.owner }),
    Deposited: (state, { data }) => ({ ...state, balance: state.balance + data.amount }),
  })
  .commands({
    open: (state, input: { owner: string }, context) => {
      if (state.owner !== undefined) context.reject('ACCOUNT_EXISTS', `account ${context.id} exists`);
      return { type: 'Opened', data: input };
    },
    deposit: (state, input: { amount: number }, context) => {
      if (state.owner === undefined) context.reject('NO_ACCOUNT', `no account ${context.id}`);
      return { type: 'Deposited', data: input };
    },
  });

function balances(storage: EventStorage) {
  return defineProjection('balances', { from: [Account] }).on('Deposited', async (event, { transaction }) => {
    const current = (await storage.documents?.get('balances', event.streamId, transaction)) as
      | { value: { total: number } }
      | undefined;
    const total = (current?.value.total ?? 0) + event.data.amount;
    await storage.documents?.put('balances', event.streamId, { total }, transaction);
  });
}

function fail(message: string): never {
  throw new Error(`ledger: ${message}`);
}

async function run(storage: EventStorage): Promise<void> {
  const store = createEventStore({ storage, events: [Account], inline: [balances(storage)] });
  const accounts = createRepository(store, Account);
  const id = `acc-${Date.now()}`;
  await accounts.execute(id, 'open', { owner: 'ada' });
  await accounts.execute(id, (account) => account.deposit({ amount: 30 }).deposit({ amount: 12 }));
  const loaded = await accounts.load(id);
  if (loaded.state.balance !== 42 || loaded.version !== 3) fail(`loaded ${JSON.stringify(loaded.state)}`);
  const then = await accounts.load(id, { atVersion: 2 });
  if (then.state.balance !== 30) fail(`at version 2 the balance was ${then.state.balance}`);
  const projected = await storage.documents?.get('balances', `Account-${id}`);
  const streamed = projected ?? (await storage.documents?.get('balances', id));
  if ((streamed?.value as { total?: number } | undefined)?.total !== 42) {
    fail(`the projection holds ${JSON.stringify(streamed)}`);
  }
  let rejected = false;
  try {
    await accounts.execute(id, 'open', { owner: 'bob' });
  } catch {
    rejected = true;
  }
  if (!rejected) fail('opening an open account was accepted');
  await store.close();
  console.log(`${storage.kind}: balance ${loaded.state.balance} at version ${loaded.version}`);
}

const target = process.argv[2];
if (target === 'memory') {
  await run(createInMemoryStorage());
} else if (target === 'sqlite') {
  // The CLI's default file, so `npx hindsight info` finds what this wrote.
  await run(createSqliteStorage({ path: '.hindsight/events.db' }));
} else if (target === 'postgres') {
  const pool = new pg.Pool({ connectionString: process.env.HINDSIGHT_PG_URL });
  const schema = `install_test_${process.pid}`;
  const storage: PostgresStorage<pg.PoolClient> = createPostgresStorage({ client: pool, schema });
  await storage.migrate();
  try {
    await run(storage);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
} else {
  fail(`unknown store ${target}: memory, sqlite or postgres`);
}
