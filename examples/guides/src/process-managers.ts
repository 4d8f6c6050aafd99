import {
  type CommandRejectedError,
  type Consumer,
  createEventStore,
  createInMemoryStorage,
  createProcessManager,
  createRepository,
  defineProcess,
  type EventStore,
  type ScheduledCommand,
} from '@hindsight/core';
import { Account, Transfer, transferIdOf } from './bank.js';

// #region transfers
interface TransferState {
  readonly transferId?: string;
  readonly from?: string;
  readonly to?: string;
  readonly amount?: number;
}

/** Everything a transfer causes carries the id of the request that started it. */
const correlationOf = (event: { eventId: string; metadata: { correlationId?: string } }) =>
  event.metadata.correlationId ?? event.eventId;

export const Transfers = defineProcess('transfers', {
  from: [Transfer, Account],
  to: [Account, Transfer],
  initialState: (): TransferState => ({}),
})
  .on('TransferRequested', {
    key: correlationOf,
    handle: (_state, event, context) => {
      const transferId = transferIdOf(event.streamId);
      const { from, to, amount } = event.data;
      context.execute(Account, from, 'withdraw', { amount });
      // Sent in five minutes unless the transfer ends first.
      context.execute(
        Transfer,
        transferId,
        'fail',
        { reason: 'timed out' },
        { deadline: 'timeout', afterMs: 5 * 60_000 },
      );
      return { transferId, from, to, amount };
    },
  })
  .on('MoneyWithdrawn', {
    key: correlationOf,
    handle: (state, _event, context) => {
      if (state.to === undefined || state.amount === undefined) {
        context.complete(); // a withdrawal that is not part of a transfer
        return state;
      }
      context.execute(Account, state.to, 'deposit', { amount: state.amount });
      return state;
    },
  })
  .on('MoneyDeposited', {
    key: correlationOf,
    handle: (state, _event, context) => {
      if (state.transferId !== undefined) context.execute(Transfer, state.transferId, 'complete', {});
      context.complete(); // deletes the instance and cancels its deadline
      return state;
    },
  })
  .on('TransferFailed', {
    key: correlationOf, // the deadline's command carried the correlation too
    handle: (state, _event, context) => {
      context.complete();
      return state;
    },
  });
// #endregion transfers

// #region compensation
/** Transfers that give the money back when the receiving account refuses the deposit. */
export const RefundingTransfers = Transfers.onRejected((state, rejection, context) => {
  if (rejection.aggregate === 'Account' && rejection.command === 'deposit' && state.from !== undefined) {
    // The withdrawal went through: undo it.
    context.execute(Account, state.from, 'deposit', { amount: rejection.input.amount });
  }
  if (state.transferId !== undefined) {
    context.execute(Transfer, state.transferId, 'fail', { reason: rejection.reason });
  }
  context.complete(); // cancels the timeout
  return state;
});
// #endregion compensation

// #region settle
/** Waits until the consumer has handled every event, including those its own commands appended. */
export async function settle(consumer: Consumer, store: Pick<EventStore, 'headPosition'>): Promise<void> {
  let head: number;
  do {
    head = await store.headPosition();
    await consumer.waitUntilCaughtUp();
  } while ((await store.headPosition()) !== head);
}
// #endregion settle

/** The process manager guide: a transfer that completes and one that times out. */
export async function processManagersTour(print: (line: string) => void): Promise<void> {
  // #region run
  let now = new Date('2026-03-01T12:00:00Z');
  const store = createEventStore({ storage: createInMemoryStorage(), events: [Account, Transfer] });
  const accounts = createRepository(store, Account);
  const transfers = createRepository(store, Transfer);
  const manager = createProcessManager(store, Transfers, {
    clock: () => now, // deadlines follow this clock: inject one in tests
    onCommandRejected: (error: CommandRejectedError, command: ScheduledCommand) =>
      print(`${command.aggregate}.${command.command} refused: ${error.reason}`),
  });
  await manager.start();

  await accounts.execute('ada', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 100 }));
  await accounts.execute('bo', 'open', { owner: 'Bo' });
  await transfers.execute('t-1', 'request', { from: 'ada', to: 'bo', amount: 60 });
  await settle(manager, store);
  // #endregion run
  print(
    `t-1 ${(await transfers.load('t-1')).state.status}, bo has ${(await accounts.load('bo')).state.balance}`,
  );

  // #region deadline
  await transfers.execute('t-2', 'request', { from: 'ada', to: 'bo', amount: 500 }); // more than Ada has
  await settle(manager, store);
  print(
    `pending: ${(await manager.scheduled()).map((command) => `${command.deadline} at ${command.dueAt.toISOString()}`)}`,
  );

  now = new Date(now.getTime() + 6 * 60_000);
  await manager.dispatchDue(); // the running manager does this by itself; tests call it
  await settle(manager, store);
  print(
    `t-2 ${(await transfers.load('t-2')).state.status}, commands pending: ${(await manager.scheduled()).length}`,
  );
  // #endregion deadline

  // #region correlation
  for await (const event of store.readAll({
    types: ['MoneyWithdrawn', 'MoneyDeposited', 'TransferCompleted'],
  })) {
    print(`${event.type} on ${event.streamId}: correlation ${event.metadata.correlationId ?? 'none'}`);
  }
  // #endregion correlation

  await manager.stop();
  await store.close();
}

/** The compensation part of the guide: a deposit refused, the withdrawal undone. */
export async function compensationTour(print: (line: string) => void): Promise<void> {
  const store = createEventStore({ storage: createInMemoryStorage(), events: [Account, Transfer] });
  const accounts = createRepository(store, Account);
  const transfers = createRepository(store, Transfer);
  const manager = createProcessManager(store, RefundingTransfers);
  await manager.start();
  await accounts.execute('ada', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 100 }));
  // #region compensation-run
  await transfers.execute('t-3', 'request', { from: 'ada', to: 'cy', amount: 30 }); // cy has no account
  await settle(manager, store);
  // #endregion compensation-run
  print(
    `t-3 ${(await transfers.load('t-3')).state.status}, ada has ${(await accounts.load('ada')).state.balance}`,
  );
  for await (const event of store.readAll({
    types: ['MoneyWithdrawn', 'MoneyDeposited', 'TransferFailed'],
  })) {
    print(`${event.type} on ${event.streamId}`);
  }
  print(`commands pending: ${(await manager.scheduled()).length}`);
  await manager.stop();
  await store.close();
}
