import {
  createEventStore,
  createInMemoryStorage,
  createRepository,
  defineStreamType,
  isHindsightError,
} from '@hindsight/core';
import { z } from 'zod';
import { Account } from './bank.js';

/** The aggregates guide's snippets in one run; `print` receives what they show. */
export async function aggregatesTour(print: (line: string) => void): Promise<void> {
  let now = new Date('2026-01-01T09:00:00Z');
  const storage = createInMemoryStorage({ clock: () => now });
  // #region repository
  const store = createEventStore({ storage, events: [Account] });
  const accounts = createRepository(store, Account, { retry: { attempts: 10 } });
  // #endregion repository
  await accounts.execute('acc-1', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 50 }));

  // #region rejection
  try {
    await accounts.execute('acc-1', 'withdraw', { amount: 80 });
  } catch (error) {
    if (!isHindsightError(error, 'COMMAND_REJECTED')) throw error;
    print(`${error.command} refused: ${error.reason}`); // withdraw refused: INSUFFICIENT_FUNDS
  }
  // #endregion rejection

  // #region expected-version
  const loaded = await accounts.load('acc-1');
  await accounts.execute('acc-1', 'deposit', { amount: 5 }); // someone else got there first
  try {
    await accounts.execute('acc-1', 'withdraw', { amount: 10 }, { expectedVersion: loaded.version });
  } catch (error) {
    if (!isHindsightError(error, 'CONCURRENCY_CONFLICT')) throw error;
    print(`expected v${error.expectedVersion}, found v${error.actualVersion}`);
  }
  // #endregion expected-version

  // #region metadata
  const { events } = await accounts.execute(
    'acc-1',
    'deposit',
    { amount: 20 },
    { metadata: { actorId: 'user-42', correlationId: 'request-7', channel: 'mobile' } },
  );
  print(`${events[0]?.type} by ${events[0]?.metadata.actorId} via ${String(events[0]?.metadata.channel)}`);
  // #endregion metadata

  now = new Date('2026-01-02T09:00:00Z');
  await accounts.execute('acc-1', 'withdraw', { amount: 75 });

  // #region time-travel
  const atTwo = await accounts.load('acc-1', { atVersion: 2 });
  const onNewYear = await accounts.load('acc-1', { asOf: new Date('2026-01-01T23:59:59Z') });
  const today = await accounts.load('acc-1');
  print(`v2: ${atTwo.state.balance}, on 1 January: ${onNewYear.state.balance}, now: ${today.state.balance}`);
  // #endregion time-travel

  // #region stream-type
  const Audit = defineStreamType('Audit', {
    LoginSucceeded: z.object({ userId: z.string() }),
    LoginFailed: z.object({ userId: z.string(), reason: z.string() }),
  });
  const audit = createEventStore({ storage, events: [Audit] });
  await audit.append('audit-2026-01', [{ type: 'LoginSucceeded', data: { userId: 'u1' } }], {
    streamType: 'Audit',
    expectedVersion: 'no_stream',
  });
  for await (const event of audit.readStream('audit-2026-01')) print(`${event.type} ${event.data.userId}`);
  // #endregion stream-type

  // #region idempotency
  const login = { type: 'LoginFailed' as const, data: { userId: 'u2', reason: 'wrong password' } };
  const eventId = '0b9a4c6e-5d1f-4f57-9f0e-2a8d6c1b7e01';
  await audit.append('audit-2026-01', [{ ...login, eventId }], { streamType: 'Audit' });
  const retried = await audit.append('audit-2026-01', [{ ...login, eventId }], { streamType: 'Audit' });
  print(`retry stored nothing: ${retried.alreadyStored}, stream at v${retried.version}`);
  // #endregion idempotency

  await store.close();
}

// #region snapshots
export const SnapshottedAccount = Account.withSnapshots({ every: 100 });
// #endregion snapshots
