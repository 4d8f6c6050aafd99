import {
  createEventStore,
  createRepository,
  createSubscription,
  defineAggregate,
  type StoredEvent,
} from '@hindsight/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';

const Counter = defineAggregate('Counter')
  .events({ Added: { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } } })
  .initialState(() => ({ total: 0 }))
  .evolve({ Added: (state, { data }) => ({ total: state.total + (data as { n: number }).n }) })
  .commands({ add: (_state, input: { n: number }) => ({ type: 'Added', data: input }) })
  .withSnapshots({ every: 3 });

let storage: SqliteStorage;
afterEach(async () => {
  await storage.close();
});

function open() {
  storage = createSqliteStorage({ path: ':memory:' });
  const store = createEventStore({ storage, events: [Counter] });
  return { store, counters: createRepository(store, Counter) };
}

const hotCount = () => storage.db.prepare('SELECT count(*) FROM hindsight_events').pluck().get() as number;

describe('SQLite: archiving with aggregates and consumers', () => {
  it('archives up to the snapshot; loads, time travel below the snapshot and appends still work', async () => {
    const { store, counters } = open();
    for (const n of [1, 2, 3, 4]) await counters.execute('c-1', 'add', { n });
    await counters.execute('c-2', 'add', { n: 100 });
    const { moved } = await store.archiveStream('Counter-c-1', 'before-snapshot');
    expect(moved.map((event) => event.version)).toEqual([1, 2, 3]);
    expect(hotCount()).toBe(2);
    expect((await counters.load('c-1')).state.total).toBe(10);
    expect((await counters.load('c-1', { atVersion: 2 })).state.total).toBe(3);
    await counters.execute('c-1', 'add', { n: 5 });
    expect((await counters.load('c-1')).version).toBe(5);
    expect((await store.streamStatus('Counter-c-1'))?.archivedUpTo).toBe(3);
  });

  it('a consumer starting from 0, or behind the archived range, gets every event once', async () => {
    const { store, counters } = open();
    for (const n of [1, 2, 3]) await counters.execute('c-1', 'add', { n });
    await counters.execute('c-2', 'add', { n: 10 });
    await store.closeStream('Counter-c-1');
    await storage.saveCheckpoint('subscription:behind', 1);
    expect((await store.archiveStream('Counter-c-1')).moved).toHaveLength(3);
    for (const [name, expected] of [
      ['fresh', [1, 2, 3, 4]],
      ['behind', [2, 3, 4]],
    ] as const) {
      const seen: StoredEvent[] = [];
      const subscription = createSubscription(store, {
        name,
        handle: async (event) => {
          seen.push(event);
        },
      });
      await subscription.start();
      await subscription.waitUntilCaughtUp();
      await subscription.stop();
      expect(seen.map((event) => event.position)).toEqual(expected);
    }
  });

  it('refuses commands on closed and deleted streams with their typed errors', async () => {
    const { store, counters } = open();
    await counters.execute('c-1', 'add', { n: 1 });
    await counters.execute('c-2', 'add', { n: 1 });
    await store.closeStream('Counter-c-1');
    await expect(counters.execute('c-1', 'add', { n: 1 })).rejects.toMatchObject({
      code: 'STREAM_CLOSED',
      streamId: 'Counter-c-1',
    });
    await store.deleteStream('Counter-c-2');
    await expect(counters.execute('c-2', 'add', { n: 1 })).rejects.toMatchObject({
      code: 'STREAM_DELETED',
      streamId: 'Counter-c-2',
    });
    await expect(store.closeStream('Counter-c-9')).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
  });
});
