import {
  createEventStore,
  createRepository,
  isHindsightError,
  type StreamDeletedData,
  streamDeletedType,
} from '@hindsight/core';
import { createSqliteStorage } from '@hindsight/sqlite';
import { Account } from './bank.js';

/** Closes, archives and deletes accounts, printing what each step shows. */
export async function storageGrowthTour(print: (line: string) => void): Promise<void> {
  const storage = createSqliteStorage({ path: ':memory:' });
  const store = createEventStore({ storage, events: [Account] });
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

    // #region tombstones
    for await (const event of store.readAll()) {
      if (event.type !== streamDeletedType) continue;
      const { deletedVersion } = event.data as StreamDeletedData;
      // A read model keyed by stream drops its rows here.
      print(`tombstone for ${event.streamId}: versions 1–${deletedVersion} are gone`);
    }
    // #endregion tombstones
  } finally {
    await store.close();
  }
}
