import {
  createEventStore,
  createRepository,
  defineProjection,
  type EventStore,
  isHindsightError,
  tombstoneOf,
} from '@hindsight/core';
import { createSqliteStorage, type SqliteTransaction } from '@hindsight/sqlite';
import { Account } from './bank.js';

/** The README's summary: each operation once, on any store of the bank. */
export async function storageGrowthInBrief(
  store: EventStore<readonly [typeof Account]>,
): Promise<string | undefined> {
  // #region in-brief
  await store.closeStream('Account-a-1', { reason: 'moved away' });
  const { moved } = await store.archiveStream('Account-a-1'); // all of a closed stream, else up to the snapshot
  await store.deleteStream('Account-a-2', { reason: 'erasure request #4411' });
  console.log(moved.length, (await store.streamStatus('Account-a-2'))?.status); // 'deleted'
  // #endregion in-brief
  return (await store.streamStatus('Account-a-2'))?.status;
}

/** Closes, archives and deletes accounts, printing what each step shows. */
export async function storageGrowthTour(print: (line: string) => void): Promise<void> {
  const storage = createSqliteStorage({ path: ':memory:' });
  // #region on-stream-deleted
  const Owners = defineProjection('owners', { from: [Account] })
    .withTransaction<SqliteTransaction>()
    .on('AccountOpened', (event, { transaction, version }) =>
      storage.documents.put(`owners@${version}`, event.streamId, { owner: event.data.owner }, transaction),
    )
    // Runs when the stream's tombstone reaches the projection, like a handler.
    .onStreamDeleted(({ streamId }, { transaction, version }) =>
      storage.documents.delete(`owners@${version}`, streamId, transaction),
    );
  // Inline: the row goes in the deletion's own transaction.
  const store = createEventStore({ storage, events: [Account], inline: [Owners] });
  // #endregion on-stream-deleted
  const accounts = createRepository(store, Account);
  try {
    await accounts.execute('a-1', (account) => account.open({ owner: 'Ada' }).deposit({ amount: 10 }));
    await accounts.execute('a-1', 'withdraw', { amount: 4 });
    await accounts.execute('a-2', (account) => account.open({ owner: 'Bob' }));

    // #region close
    await store.closeStream('Account-a-1', { reason: 'account closed' });
    try {
      await accounts.execute('a-1', 'deposit', { amount: 5 });
    } catch (error) {
      if (isHindsightError(error, 'STREAM_CLOSED')) print(`refused: ${error.streamId} is closed`);
    }
    // #endregion close

    // #region archive
    const { moved } = await store.archiveStream('Account-a-1');
    print(`archived ${moved.length} events`);
    // Archived events read as before: streams, time travel, the global log.
    const account = await accounts.load('a-1');
    print(`a-1 still loads at version ${account.version}, balance ${account.state.balance}`);
    // #endregion archive

    // #region delete
    await store.deleteStream('Account-a-2', { reason: 'erasure request #4411' });
    const status = await store.streamStatus('Account-a-2');
    print(`a-2 is ${status?.status} at version ${status?.version}`);
    // #endregion delete
    const owner = await storage.documents.get('owners@1', 'Account-a-2');
    print(`owners row of a-2: ${owner === undefined ? 'removed' : 'kept'}`);

    // #region tombstones
    for await (const event of store.readAll()) {
      const tombstone = tombstoneOf(event);
      if (tombstone === undefined) continue;
      // A read model keyed by stream drops its rows here.
      print(`tombstone for ${event.streamId}: versions 1–${tombstone.deletedVersion} are gone`);
    }
    // #endregion tombstones
  } finally {
    await store.close();
  }
}
