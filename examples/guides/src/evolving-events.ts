import {
  checkEvents,
  createEventStore,
  createRepository,
  defineAggregate,
  type EventStorage,
  evolving,
  isHindsightError,
  schemaVersionField,
} from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { z } from 'zod';

// #region release-1
// Release 1, as it shipped: amounts in euros, a branch on every account, and one event that
// opened an account with a first deposit.
const AccountV1 = defineAggregate('Account')
  .events({
    AccountOpened: z.object({ owner: z.string(), branch: z.string() }),
    FundsAdded: z.object({ amount: z.number().positive() }),
    OpenedWithDeposit: z.object({ owner: z.string(), amount: z.number().positive() }),
  })
  .initialState(() => ({ owner: '', balance: 0 }))
  .evolve({
    AccountOpened: (state, { data }) => ({ ...state, owner: data.owner }),
    FundsAdded: (state, { data }) => ({ ...state, balance: state.balance + data.amount }),
    OpenedWithDeposit: (_state, { data }) => ({ owner: data.owner, balance: data.amount }),
  })
  .commands({});
// #endregion release-1

// #region schemas
const AccountOpenedV1 = z.object({ owner: z.string(), branch: z.string() });
const MoneyDepositedV1 = z.object({ amount: z.number().positive() });

// Version 2 drops `branch`: its upcaster leaves it out.
const AccountOpened = evolving(AccountOpenedV1).to(2, z.object({ owner: z.string() }), ({ owner }) => ({
  owner,
}));

// Version 2 counts cents, in a currency. The upcaster is pure and total over every v1 event stored.
const MoneyDeposited = evolving(MoneyDepositedV1).to(
  2,
  z.object({ amountCents: z.number().int().positive(), currency: z.string().length(3) }),
  (v1) => ({ amountCents: Math.round(v1.amount * 100), currency: 'EUR' }),
);
// #endregion schemas

// #region release-2
const Account = defineAggregate('Account')
  .events(
    { AccountOpened, MoneyDeposited },
    {
      retired: {
        // Renamed: stored FundsAdded events read as MoneyDeposited (their version 1).
        FundsAdded: 'MoneyDeposited',
        // Split: one stored event reads as two current ones, at its version and position.
        OpenedWithDeposit: (data: { owner: string; amount: number }) => [
          { type: 'AccountOpened', data: { owner: data.owner } },
          { type: 'MoneyDeposited', data: { amountCents: Math.round(data.amount * 100), currency: 'EUR' } },
        ],
      },
    },
  )
  .initialState(() => ({ owner: '', balanceCents: 0 }))
  .evolve({
    // Typed for the current shape only: `data.amountCents` is a number, never undefined.
    AccountOpened: (state, { data }) => ({ ...state, owner: data.owner }),
    MoneyDeposited: (state, { data }) => ({ ...state, balanceCents: state.balanceCents + data.amountCents }),
  })
  .commands({
    deposit: (_state, input: { amountCents: number }) => ({
      type: 'MoneyDeposited',
      data: { amountCents: input.amountCents, currency: 'EUR' },
    }),
  })
  // The state's shape changed (balance → balanceCents): snapshots of shape 1 are ignored and retaken.
  .withSnapshots({ every: 50, schemaVersion: 2 });
// #endregion release-2

/** Release 1 writing its events, as it did before release 2 shipped. */
async function runRelease1(storage: EventStorage<unknown>): Promise<void> {
  const store = createEventStore({ storage, events: [AccountV1] });
  await store.append(
    'Account-a-1',
    [
      { type: 'AccountOpened', data: { owner: 'Ada', branch: 'Leeds' } },
      { type: 'FundsAdded', data: { amount: 12.5 } },
    ],
    { streamType: 'Account' },
  );
  await store.append('Account-a-2', [{ type: 'OpenedWithDeposit', data: { owner: 'Bob', amount: 3 } }], {
    streamType: 'Account',
  });
}

/** Release 2 reading what release 1 wrote, then failing loudly on an event that does not fit. */
export async function evolvingEventsTour(print: (line: string) => void): Promise<void> {
  const storage = createSqliteStorage({ path: ':memory:' });
  try {
    await runRelease1(storage);

    // #region read
    const store = createEventStore({ storage, events: [Account] });
    for await (const event of store.readAll()) {
      // Stored at version 1, read in the current shape (its metadata says which version that is).
      print(
        `#${event.position} ${event.type} ${JSON.stringify(event.data)} (v${event.metadata[schemaVersionField]})`,
      );
    }
    const accounts = createRepository(store, Account);
    print(`a-1: ${JSON.stringify((await accounts.load('a-1')).state)}`);
    // New events are written at the current version.
    const { events } = await accounts.execute('a-1', 'deposit', { amountCents: 250 });
    print(`appended at schema version ${events[0]?.metadata[schemaVersionField]}`);
    // #endregion read

    // A faulty release once stored an amount as text: the upcaster turns it into NaN.
    await storage.append({
      streamId: 'Account-a-3',
      streamType: 'Account',
      expectedVersion: 'no_stream',
      events: [{ eventId: crypto.randomUUID(), type: 'FundsAdded', data: { amount: 'ten' }, metadata: {} }],
    });

    // #region invalid
    try {
      await accounts.load('a-3');
    } catch (error) {
      if (!isHindsightError(error, 'STORED_EVENT_INVALID')) throw error;
      print(`${error.code}: ${error.streamId} v${error.version} ${error.eventType} field "${error.path}"`);
    }
    // #endregion invalid

    // #region check
    const report = await checkEvents(store);
    for (const count of report.counts) {
      print(`${count.type} v${count.schemaVersion}: ${count.events} read, ${count.failed} failed`);
    }
    for (const failure of report.failures) {
      print(`does not fit: ${failure.streamId} v${failure.version} (${failure.path}): ${failure.message}`);
    }
    // #endregion check

    // #region trusted
    // For a hot path whose data you trust: upcasting still runs, validation does not.
    const trusting = createEventStore({ storage, events: [Account], validateOnRead: false });
    // #endregion trusted
    for await (const event of trusting.readStream('Account-a-3')) {
      // What validation is there to prevent: the NaN reaches the handlers.
      if (event.type === 'MoneyDeposited') print(`unvalidated: amountCents ${event.data.amountCents}`);
    }
  } finally {
    await storage.close();
  }
}
