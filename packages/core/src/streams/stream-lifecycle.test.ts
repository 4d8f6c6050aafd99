import { describe, expect, it } from 'vitest';
import { defineStreamType } from '../events/event-catalog.js';
import { createInMemoryStorage } from '../memory/in-memory-storage.js';
import { checkEvents } from './check-events.js';
import type { EventStorage } from './event-storage.js';
import { createEventStore } from './event-store.js';
import { archiveStreams, tombstoneOf } from './stream-lifecycle.js';

const anything = {
  '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) },
} as const;

const event = (type: string) => ({ eventId: crypto.randomUUID(), type, data: {}, metadata: {} });

describe('stream lifecycle through the store', () => {
  it('names the missing capability on a storage without it', async () => {
    const memory = createInMemoryStorage();
    // The same storage with the capability taken away, as a storage that never had it.
    const storage = new Proxy(memory, {
      get: (target, property) => {
        if (property === 'lifecycle') return undefined;
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as EventStorage<unknown>;
    const store = createEventStore({ storage, events: [] });
    await expect(store.closeStream('s-1')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(store.deleteStream('s-1')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    await expect(store.streamStatus('s-1')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });

  it('archives many streams with running totals, and reads tombstones from the log', async () => {
    const storage = createInMemoryStorage();
    const store = createEventStore({ storage, events: [] });
    for (const streamId of ['a', 'b', 'c']) {
      await store.appendPrepared({
        streamId,
        streamType: 'Log',
        expectedVersion: 'no_stream',
        events: [event('A'), event('B')],
      });
    }
    await store.closeStream('a');
    await store.closeStream('b');
    const progress: number[][] = [];
    const total = await archiveStreams(storage, {
      mode: 'closed',
      onProgress: ({ streamsDone, eventsMoved }) => {
        progress.push([streamsDone, eventsMoved]);
      },
    });
    expect(total).toEqual({ streamsDone: 3, streamsTotal: undefined, eventsMoved: 4 });
    expect(progress).toEqual([
      [1, 2],
      [2, 4],
      [3, 4],
    ]);
    await store.deleteStream('c', { reason: 'erasure' });
    const tombstones = [];
    for await (const read of store.readAll()) {
      const tombstone = tombstoneOf(read);
      if (tombstone !== undefined) tombstones.push([read.streamId, tombstone]);
    }
    expect(tombstones).toEqual([['c', { deletedVersion: 2, reason: 'erasure' }]]);
  });

  it("leaves tombstones out of `check`: they are the store's, not the definitions' events", async () => {
    const Log = defineStreamType('Log', { A: anything });
    const store = createEventStore({ storage: createInMemoryStorage(), events: [Log] });
    await store.append('l-1', [{ type: 'A', data: {} }], { streamType: 'Log' });
    await store.deleteStream('l-1');
    const report = await checkEvents(store);
    expect(report.failures).toEqual([]);
    expect(report.unchecked).toBe(1);
  });
});
